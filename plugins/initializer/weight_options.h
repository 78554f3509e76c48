// The weight-loading fields self_supervised and imagenet share, turned into WeightLoadOptions.
//
//   GENESIS_ASSIGN_OR_RETURN(WeightLoadOptions load, ToWeightLoadOptions(options_));
#ifndef GENESIS_PLUGINS_INITIALIZER_WEIGHT_OPTIONS_H_
#define GENESIS_PLUGINS_INITIALIZER_WEIGHT_OPTIONS_H_

#include "absl/status/statusor.h"
#include "core/weights/weight_loader.h"

namespace genesis {

// `Options` has allow_missing, allow_unexpected, strip_prefix, add_prefix and channel_policy.
template <typename Options>
absl::StatusOr<WeightLoadOptions> ToWeightLoadOptions(const Options& o) {
  WeightLoadOptions load;
  load.allow_missing.assign(o.allow_missing().begin(), o.allow_missing().end());
  load.allow_unexpected.assign(o.allow_unexpected().begin(), o.allow_unexpected().end());
  load.strip_prefix = o.strip_prefix();
  load.add_prefix = o.add_prefix();
  absl::Status policy =
      ParseChannelPolicy("channel_policy", o.channel_policy(), &load.channel_policy);
  if (!policy.ok()) return policy;
  return load;
}

}  // namespace genesis

#endif  // GENESIS_PLUGINS_INITIALIZER_WEIGHT_OPTIONS_H_
