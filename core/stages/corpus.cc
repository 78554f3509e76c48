// The "corpus" stage: public datasets -> manifest, split, summary and slice store
// (core/corpus/corpus_builder.h describes the outputs and the determinism rules).
//
//   stage { corpus {
//     dataset { source { type: "msd" options { [type.googleapis.com/genesis.MsdOptions] {
//                 root: "/data/Task03_Liver" } } }
//               sampler { type: "even_budget" options {
//                 [type.googleapis.com/genesis.EvenBudgetOptions] { slices_per_patient: 100 } } } }
//     balancer { type: "modality_balance" }
//     preprocessor { type: "modality_normalize" }
//     preprocessor { type: "random_crop_resize" }
//     split { train: 0.9 val: 0.05 test: 0.05 }
//     store { pixel_type: "uint16" slices_per_shard: 1024 }
//   } }
//
// Skipped files: listed in <stage>/skipped.csv; the stage stores every good slice, reports the
// count through RunContext::summary and succeeds, so `genesis run` exits with code 3. With
// fail_on_skipped: true it fails with DataLoss instead, after writing all outputs.

#include "absl/strings/str_cat.h"
#include "core/corpus/corpus_builder.h"
#include "core/proto/stages.pb.h"
#include "core/stage.h"
#include "glog/logging.h"

namespace genesis {
namespace {

class CorpusStageRunner : public StageRunner {
 public:
  explicit CorpusStageRunner(const CorpusStage& options) : options_(options) {}

  static absl::Status Validate(const CorpusStage& options) { return ValidateCorpusStage(options); }

  absl::Status Run(const RunContext& context) override {
    CorpusBuildResult result;
    absl::Status status =
        BuildCorpus(options_, context.stage_dir, context.seed, context.num_threads, &result);
    if (!status.ok()) return status;
    if (!result.skipped.empty()) {
      const std::string message =
          absl::StrCat(result.skipped.size(), " file(s) or slice(s) skipped, listed in ",
                       context.stage_dir, "/skipped.csv (first: ", result.skipped.front().first,
                       ": ", result.skipped.front().second, "); every readable slice was stored (",
                       result.slices_stored, ")");
      if (options_.fail_on_skipped()) return absl::DataLossError(message);
      LOG(WARNING) << "corpus: " << message;
      if (context.summary != nullptr) {
        context.summary->AddSkipped(static_cast<int64_t>(result.skipped.size()),
                                    absl::StrCat(context.stage_dir, "/skipped.csv"));
      }
    }
    return absl::OkStatus();
  }

 private:
  CorpusStage options_;
};

}  // namespace

GENESIS_REGISTER_STAGE(CorpusStageRunner, "corpus", CorpusStage,
                       "builds the pretraining corpus: manifest, split, summary, slice store");

}  // namespace genesis
