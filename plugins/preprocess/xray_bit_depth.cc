// "xray_bit_depth" preprocessor: X-ray: divide by 2^bits_stored - 1 (255 for 8-bit images).
//
//   preprocessor { type: "xray_bit_depth" options {
//     [type.googleapis.com/genesis.XrayBitDepthOptions] { default_bits: 8 } } }

#include "core/preprocessor.h"
#include "plugins/preprocess/intensity.h"
#include "plugins/preprocess/xray_bit_depth.pb.h"

namespace genesis {
namespace {

class XrayBitDepth : public Preprocessor {
 public:
  explicit XrayBitDepth(const XrayBitDepthOptions& options) : options_(options) {}
  static absl::Status Validate(const XrayBitDepthOptions& options) {
    return ValidateXrayBitDepth(options);
  }
  absl::Status Apply(Slice& slice, RandomStream&) const override {
    return ApplyXrayBitDepth(options_, slice);
  }

 private:
  XrayBitDepthOptions options_;
};

}  // namespace

GENESIS_REGISTER_PREPROCESSOR(XrayBitDepth, "xray_bit_depth", XrayBitDepthOptions,
                              "X-ray: divide by 2^bits_stored - 1 (255 for 8-bit images)");

}  // namespace genesis
