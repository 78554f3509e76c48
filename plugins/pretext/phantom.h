// A synthetic head phantom (Shepp-Logan ellipses, intensities in [0, 1]) for tests, benches and
// `genesis corrupt` when no image is given.
//
//   Slice slice = SheppLoganPhantom(224);
#ifndef GENESIS_PLUGINS_PRETEXT_PHANTOM_H_
#define GENESIS_PLUGINS_PRETEXT_PHANTOM_H_

#include <cstdint>

#include "core/pretext_task.h"

namespace genesis {

// The modified Shepp-Logan phantom (Toft 1996) of size x size, rescaled to [0, 1].
Slice SheppLoganPhantom(int64_t size);

}  // namespace genesis

#endif  // GENESIS_PLUGINS_PRETEXT_PHANTOM_H_
