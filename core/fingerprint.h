// Fingerprints of what a stage's outputs depend on, so a run never reuses results made from
// other inputs (core/runner.cc writes them into each stage's .started/.done markers).
//
//   Fingerprint f;
//   f.Add("options", serialized_options);
//   f.Add("seed", "42");
//   f.Add("stage 0 (corpus)", corpus_fingerprint);
//   GENESIS_ASSIGN_OR_RETURN(std::string listing, PathFingerprint("/data/LUNA16"));
//   f.Add("path /data/LUNA16", listing);
//   std::string marker = f.Serialize();     // "fingerprint <hex>\n<name> <hex>\n..."
//   std::string changes = DescribeChanges(old_marker, marker);   // "seed, path /data/LUNA16"
//
// Hashes are 128-bit (two FNV-1a-64 lanes) over the exact bytes: good for change detection,
// not for security.
#ifndef GENESIS_CORE_FINGERPRINT_H_
#define GENESIS_CORE_FINGERPRINT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace genesis {

// 32 hex digits of the 128-bit hash of `bytes`.
std::string HashHex(absl::string_view bytes);

// The listing of a file or folder (recursively): relative names, sizes and modification times,
// hashed. Contents are not read, so this costs one stat per file. A missing path is an error
// naming it.
absl::StatusOr<std::string> PathFingerprint(const std::string& path);

class Fingerprint {
 public:
  // Adds a named component; `value` is hashed. Names are one line, unique per fingerprint.
  void Add(absl::string_view name, absl::string_view value);
  // The overall hash of every component (order matters).
  std::string Hex() const;
  // "fingerprint <Hex()>\n" followed by one "<name> <hash>" line per component.
  std::string Serialize() const;

 private:
  std::vector<std::pair<std::string, std::string>> components_;  // (name, hash hex)
};

// The overall fingerprint stored in a marker written by Fingerprint::Serialize() ("" if the
// text is not such a marker).
std::string MarkerFingerprint(absl::string_view marker);

// The component names whose hashes differ between two markers, or that only one of them has,
// comma-separated (e.g. "options, stage 0 (corpus)"); "" when they are equal.
std::string DescribeChanges(absl::string_view old_marker, absl::string_view new_marker);

}  // namespace genesis

#endif  // GENESIS_CORE_FINGERPRINT_H_
