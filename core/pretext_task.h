// Plugin kind "pretext_task": a self-supervised corruption of a slice in [0, 1].
//
//   pretrain { pretext { type: "genesis" } }   // Models Genesis composite with its defaults
//
// The network learns to restore `target` from `input`. Most tasks change only `input`;
// geometric ones (flip) change both. Every random choice comes from `rng`, which the trainer
// derives from (seed, epoch, sample index): a corrupted sample can be regenerated exactly.
#ifndef GENESIS_CORE_PRETEXT_TASK_H_
#define GENESIS_CORE_PRETEXT_TASK_H_

#include "absl/strings/string_view.h"

#include "core/random.h"
#include "core/registry.h"
#include "core/volume.h"

namespace genesis {

class PretextTask {
 public:
  static constexpr absl::string_view kKind = "pretext_task";
  static constexpr absl::string_view kTarget = "//plugins/pretext:all";
  static constexpr absl::string_view kKindDescription =
      "corrupts a slice for the network to restore (self-supervised pretext)";

  virtual ~PretextTask() = default;
  // Corrupts `input` in place; may transform `target` too (same size as input).
  virtual void Apply(Slice& input, Slice& target, RandomStream& rng) const = 0;
};

}  // namespace genesis

#define GENESIS_REGISTER_PRETEXT_TASK(Plugin, name, Options, description) \
  GENESIS_REGISTER_PLUGIN(::genesis::PretextTask, Plugin, name, Options, description)

#endif  // GENESIS_CORE_PRETEXT_TASK_H_
