// Small helpers shared by the pretext task plugins: option checks and the integer geometry
// the official Models Genesis code computes with Python's `//`.
//
//   GENESIS_RETURN_IF_ERROR(internal::CheckProbability("prob", o.prob()));
//   int64_t side = internal::FloorFraction(rows, 1.0 / 6);   // rows // 6
#ifndef GENESIS_PLUGINS_PRETEXT_PRETEXT_UTIL_H_
#define GENESIS_PLUGINS_PRETEXT_PRETEXT_UTIL_H_

#include <cmath>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace genesis {
namespace internal {

// floor(dim * fraction), robust to the fraction's rounding (1/6, 3/7 are not exact doubles):
// FloorFraction(224, 3.0 / 7) == 224 * 3 // 7 == 96.
inline int64_t FloorFraction(int64_t dim, double fraction) {
  return static_cast<int64_t>(std::floor(static_cast<double>(dim) * fraction + 1e-9));
}

// "<field>: must be in [0, 1], got <p>".
inline absl::Status CheckProbability(absl::string_view field, double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be in [0, 1], got ", p));
  }
  return absl::OkStatus();
}

// "<field>: must be in [lo, hi], got <v>" (for fractions and other bounded reals).
inline absl::Status CheckRange(absl::string_view field, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be in [", lo, ", ", hi, "], got ", v));
  }
  return absl::OkStatus();
}

// "<field>: must be >= <lo>, got <v>".
inline absl::Status CheckAtLeast(absl::string_view field, int64_t v, int64_t lo) {
  if (v < lo) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be >= ", lo, ", got ", v));
  }
  return absl::OkStatus();
}

// "<field>: must be >= <lo>, got <v>" / "<field>: must be <= <hi>, got <v>": every integer
// option has an upper bound too, so what `genesis validate` accepts, a run survives (no
// 2e9-element allocations or loops that run for minutes).
inline absl::Status CheckBetween(absl::string_view field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be >= ", lo, ", got ", v));
  }
  if (v > hi) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be <= ", hi, ", got ", v));
  }
  return absl::OkStatus();
}

// Prefixes a sub-message's field path: "painting." + "prob: ..." (OK stays OK).
inline absl::Status Nested(absl::string_view prefix, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, ".", status.message()));
}

}  // namespace internal
}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_PRETEXT_UTIL_H_
