// "hu_window" preprocessor: CT: clip HU to [min_hu, max_hu] and map linearly to [0,1].
//
//   preprocessor { type: "hu_window" options {
//     [type.googleapis.com/genesis.HuWindowOptions] { min_hu: -1000 max_hu: 1400 } } }

#include "core/preprocessor.h"
#include "plugins/preprocess/hu_window.pb.h"
#include "plugins/preprocess/intensity.h"

namespace genesis {
namespace {

class HuWindow : public Preprocessor {
 public:
  explicit HuWindow(const HuWindowOptions& options) : options_(options) {}
  static absl::Status Validate(const HuWindowOptions& options) { return ValidateHuWindow(options); }
  absl::Status Apply(Slice& slice, RandomStream&) const override {
    return ApplyHuWindow(options_, slice);
  }

 private:
  HuWindowOptions options_;
};

}  // namespace

GENESIS_REGISTER_PREPROCESSOR(HuWindow, "hu_window", HuWindowOptions,
                              "CT: clip HU to [min_hu, max_hu] and map linearly to [0,1]");

}  // namespace genesis
