// The "local_shuffle" pretext step, reusable by composites ("genesis").
//
//   bool shuffled = ApplyLocalShuffle(options, input, rng);
#ifndef GENESIS_PLUGINS_PRETEXT_LOCAL_SHUFFLE_H_
#define GENESIS_PLUGINS_PRETEXT_LOCAL_SHUFFLE_H_

#include "absl/status/status.h"
#include "core/pretext_task.h"
#include "core/random.h"
#include "plugins/pretext/local_shuffle.pb.h"

namespace genesis {

absl::Status ValidateLocalShuffleOptions(const LocalShuffleOptions& options);

// With probability options.prob(), shuffles the pixels of num_blocks random blocks of `image`
// (read from the original, written into the result). Returns whether it shuffled.
bool ApplyLocalShuffle(const LocalShuffleOptions& options, Slice& image, RandomStream& rng);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_LOCAL_SHUFFLE_H_
