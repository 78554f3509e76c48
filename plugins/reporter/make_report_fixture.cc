// Writes synthetic run folders for trying the report by hand (see report_fixture.h):
//   make_report_fixture DIR  ->  DIR/luna16_unet_vgg16, DIR/luna16_unet_resnet50,
//   DIR/mura_unet_vgg16
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "plugins/reporter/report_fixture.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_report_fixture DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  genesis::FixtureOptions vgg, resnet, mura;
  resnet.backbone = "unet_resnet50";
  resnet.auc_offset = -0.006;
  resnet.seed = 7;
  mura.dataset = "MURA";
  mura.task = "mura";
  mura.auc_offset = -0.17;
  mura.imagenet_failed = false;
  for (const auto& [name, options] :
       {std::make_pair("luna16_unet_vgg16", vgg), std::make_pair("luna16_unet_resnet50", resnet),
        std::make_pair("mura_unet_vgg16", mura)}) {
    const std::string run = absl::StrCat(dir, "/", name);
    const absl::Status status = genesis::WriteFixtureRun(run, options);
    if (!status.ok()) {
      std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
      return 1;
    }
    std::printf("%s\n", run.c_str());
  }
  return 0;
}
