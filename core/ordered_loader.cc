#include "core/ordered_loader.h"

#include <numeric>

#include "core/random.h"

namespace genesis {

std::vector<int64_t> Permutation(int64_t size, bool shuffle, uint64_t seed, uint64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(std::max<int64_t>(size, 0)));
  std::iota(order.begin(), order.end(), 0);
  if (shuffle && size > 1) {
    RandomStream rng(seed, RandomStream::kShuffle, epoch);
    for (int64_t i = size - 1; i > 0; --i) {
      std::swap(order[i], order[rng.UniformInt(0, i)]);
    }
  }
  return order;
}

}  // namespace genesis
