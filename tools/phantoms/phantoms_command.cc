// `genesis phantoms`: writes the demo's downstream data sets (see phantoms.h).
//
//   genesis phantoms --out runs/demo_pool/phantoms --seed 1
//   genesis phantoms --out /tmp/ph --luna_scans 40 --mura_patients 0 --ct_size 160x160x64
//
// Prints one line per data set with counts and seconds, and the README's path.

#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/command.h"
#include "tools/phantoms/phantoms.h"

ABSL_DECLARE_FLAG(std::string, out);  // Defined in core/command.cc.
ABSL_FLAG(uint64_t, seed, 0, "genesis phantoms: random seed; same seed, same bytes");
ABSL_FLAG(int, luna_scans, 30, "genesis phantoms: CT scans in the LUNA16 layout (>= 10; 0 = none)");
ABSL_FLAG(int, mura_patients, 60, "genesis phantoms: patients in the MURA layout (>= 2; 0 = none)");
ABSL_FLAG(std::string, ct_size, "160x160x48", "genesis phantoms: CT voxels, XxYxZ");
ABSL_FLAG(std::string, xray_size, "256x320",
          "genesis phantoms: radiograph width x height in pixels (widths vary by +-32)");

namespace genesis {
namespace phantoms {
namespace {

constexpr char kUsage[] =
    "usage: genesis phantoms --out DIR [--seed N] [--luna_scans N] [--mura_patients N] "
    "[--ct_size 160x160x48] [--xray_size 256x320]";

int PhantomsMain(const std::vector<std::string>& args) {
  if (!args.empty()) {
    std::cerr << "genesis phantoms: unexpected argument '" << args[0] << "'\n" << kUsage << "\n";
    return 2;
  }
  PhantomOptions options;
  options.out = absl::GetFlag(FLAGS_out);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.luna_scans = absl::GetFlag(FLAGS_luna_scans);
  options.mura_patients = absl::GetFlag(FLAGS_mura_patients);
  absl::StatusOr<std::array<int, 3>> ct = ParseCtSize(absl::GetFlag(FLAGS_ct_size));
  absl::StatusOr<std::array<int, 2>> xray = ParseXraySize(absl::GetFlag(FLAGS_xray_size));
  if (options.out.empty() || !ct.ok() || !xray.ok()) {
    if (options.out.empty()) std::cerr << "genesis phantoms: --out is required\n";
    if (!ct.ok()) std::cerr << "genesis phantoms: " << ct.status().message() << "\n";
    if (!xray.ok()) std::cerr << "genesis phantoms: " << xray.status().message() << "\n";
    std::cerr << kUsage << "\n";
    return 2;
  }
  options.ct_size = *ct;
  options.xray_width = (*xray)[0];
  options.xray_height = (*xray)[1];
  absl::StatusOr<PhantomSummary> summary = GeneratePhantoms(options);
  if (!summary.ok()) {
    std::cerr << "genesis phantoms: " << summary.status().message() << "\n";
    return 1;
  }
  if (options.luna_scans > 0) {
    const Luna16PhantomSummary& l = summary->luna16;
    std::cout << absl::StrFormat(
        "luna16: %d scans (%d oblique), %d nodules, %d positive / %d negative candidates, "
        "%d excluded annotations in %.2f s -> %s/luna16\n",
        l.scans, l.oblique_scans, l.nodules, l.positives, l.negatives, l.excluded,
        summary->luna16_seconds, options.out);
  }
  if (options.mura_patients > 0) {
    const MuraPhantomSummary& m = summary->mura;
    std::cout << absl::StrFormat(
        "mura: %d train + %d valid patients, %d studies (%d abnormal), %d images in %.2f s -> "
        "%s/mura/MURA-v1.1\n",
        m.train_patients, m.valid_patients, m.studies, m.positive_studies, m.images,
        summary->mura_seconds, options.out);
  }
  std::cout << "README: " << options.out << "/README.txt\n";
  return 0;
}

}  // namespace
}  // namespace phantoms
}  // namespace genesis

GENESIS_REGISTER_COMMAND("phantoms",
                         "--out DIR [--seed N] [--luna_scans N] [--mura_patients N] "
                         "[--ct_size XxYxZ] [--xray_size WxH]  generate LUNA16 and MURA phantoms",
                         &genesis::phantoms::PhantomsMain);
