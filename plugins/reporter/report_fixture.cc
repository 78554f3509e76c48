#include "plugins/reporter/report_fixture.h"

#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/file_util.h"
#include "core/status_macros.h"

namespace genesis {
namespace {

namespace fs = std::filesystem;

std::string N(double v) { return absl::StrFormat("%.4f", v); }

absl::Status Write(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  return WriteFileAtomically(path.string(), text);
}

std::string SubrunName(const std::string& init, int fold, long long seed, double fraction) {
  return absl::StrFormat("%s_fold%d_seed%d_frac%g", init, fold, seed, fraction);
}

// A ROC curve with the shape tpr = fpr^k (AUC = 1 / (k + 1)).
std::string RocCsv(double auc) {
  const double k = 1 / auc - 1;
  std::string csv = "fpr,tpr,threshold\n";
  for (int i = 0; i <= 40; ++i) {
    const double fpr = std::pow(i / 40.0, 2);
    absl::StrAppendFormat(&csv, "%.6f,%.6f,%.6f\n", fpr, std::pow(fpr, k), 1 - i / 40.0);
  }
  return csv;
}

std::string FrocCsv(double level) {
  std::string csv = "fps_per_scan,sensitivity\n";
  for (int i = 0; i <= 30; ++i) {
    const double fps = 0.05 * std::pow(2.0, i / 3.0);
    absl::StrAppendFormat(&csv, "%.5f,%.5f\n", fps, level * (1 - std::exp(-1.2 * fps)) + 0.05);
  }
  return csv;
}

std::string TrainingCsv(double final_auc, int shift) {
  std::string csv =
      "epoch,phase,global_step,learning_rate,train_loss,val_loss,val_auc,best_val_auc,seconds,"
      "images_per_s\n";
  double best = 0;
  for (int e = 1; e <= 8; ++e) {
    const double auc = final_auc - 0.25 * std::exp(-0.6 * (e + shift));
    best = std::max(best, auc);
    absl::StrAppendFormat(&csv, "%d,%s,%d,0.001,%.5f,%.5f,%.5f,%.5f,12.5,250\n", e,
                          e <= 2 ? "warmup" : "finetune", e * 100,
                          0.6 * std::exp(-0.3 * e) + 0.05 + 0.03 * shift,
                          0.62 * std::exp(-0.25 * e) + 0.08 + 0.03 * shift, auc, best);
  }
  return csv;
}

}  // namespace

absl::Status WriteFixtureRun(const std::string& run_dir, const FixtureOptions& o) {
  const fs::path run(run_dir);
  const double off = o.auc_offset;
  GENESIS_RETURN_IF_ERROR(
      Write(run / "experiment.resolved.textproto",
            absl::StrCat("name: \"", o.task, "_", o.backbone, "\"\nseed: ", o.seed,
                         "\noutput_dir: \"", run_dir, "\"\nstage {\n  transfer {\n  }\n}\n")));
  // Corpus: one skipped input.
  GENESIS_RETURN_IF_ERROR(Write(
      run / "00_corpus/skipped.csv",
      absl::StrCat("file,reason\n\"", kSkippedFile, "\",\"itk: cannot read header & data\"\n")));
  GENESIS_RETURN_IF_ERROR(Write(run / "00_corpus/.done", "111-42"));
  // Pretraining: epoch 2 flagged by the collapse watchdog.
  GENESIS_RETURN_IF_ERROR(
      Write(run / "01_pretrain/metrics.csv",
            "epoch,global_step,learning_rate,train_loss,val_loss,identity_baseline,"
            "mean_image_baseline,best_val_loss,collapse_warning,seconds,images_per_s\n"
            "1,100,1,0.0410,0.0390,0.0300,0.0350,0.0390,1,60,30\n"
            "2,200,1,0.0250,0.0240,0.0300,0.0350,0.0240,0,60,30\n"
            "3,300,1,0.0180,0.0170,0.0300,0.0350,0.0170,0,60,30\n"
            "4,400,1,0.0150,0.0149,0.0300,0.0350,0.0149,0,60,30\n"));
  GENESIS_RETURN_IF_ERROR(Write(run / "01_pretrain/.done", "222-42"));

  // Transfer.
  const fs::path transfer = run / "02_transfer";
  GENESIS_RETURN_IF_ERROR(
      Write(transfer / "task.json", absl::StrCat("{\"task\": \"", o.task, "\", \"dataset\": \"",
                                                 o.dataset, "\", \"prediction_columns\": []}\n")));
  GENESIS_RETURN_IF_ERROR(Write(transfer / "leakage.csv",
                                "dataset,patient_id,fold,split\nLUNA16,1.3.6.1.4.1.9328,0,test\n"));
  std::string subruns_csv = "subrun,initializer,fold,fold_name,seed,label_fraction,status\n";
  std::string evaluation_subruns;
  const char* inits[] = {"scratch", "self_supervised"};
  const double base[] = {0.9512, 0.9634};
  for (int i = 0; i < 2; ++i) {
    for (double fraction : {0.25, 1.0}) {
      for (int fold = 0; fold < 2; ++fold) {
        const std::string name = SubrunName(inits[i], fold, o.seed, fraction);
        const double auc =
            base[i] + off - (fraction < 1 ? 0.05 - 0.03 * i : 0) + (fold == 0 ? 0.004 : -0.004);
        absl::StrAppend(&subruns_csv, name, ",", inits[i], ",", fold, ",subsets ", 2 * fold, "-",
                        2 * fold + 1, ",", o.seed, ",", absl::StrFormat("%g", fraction), ",done\n");
        const fs::path dir = transfer / "subruns" / name;
        GENESIS_RETURN_IF_ERROR(
            Write(dir / "subrun.json",
                  absl::StrFormat(
                      "{\"subrun\": \"%s\", \"initializer\": \"%s\", \"fold\": %d, \"fold_name\": "
                      "\"subsets %d-%d\", \"seed\": %d, \"label_fraction\": %g, \"task\": \"%s\", "
                      "\"backbone\": \"%s\", \"n_train\": 900, \"n_val\": 100, \"n_test\": 400, "
                      "\"best_epoch\": %d, \"best_val_auc\": %.4f, \"warnings\": []}\n",
                      name, inits[i], fold, 2 * fold, 2 * fold + 1, o.seed, fraction, o.task,
                      o.backbone, 6 + fold, auc - 0.01)));
        GENESIS_RETURN_IF_ERROR(Write(
            dir / "weight_coverage.json",
            i == 1 ? "{\"source\": \"/runs/pretrain/encoder_state_dict.pt\", \"loaded\": "
                     "[\"features.0.weight\"], \"missing\": [], \"unexpected\": [], "
                     "\"mismatched\": [], \"allowed\": [\"features.0.weight (1 -> 3 input "
                     "channels)\"]}\n"
                   : "{\"source\": \"\", \"loaded\": [], \"missing\": [], \"unexpected\": [], "
                     "\"mismatched\": [], \"allowed\": []}\n"));
        GENESIS_RETURN_IF_ERROR(Write(dir / "metrics.csv", TrainingCsv(auc, i + fold)));
        GENESIS_RETURN_IF_ERROR(Write(dir / ".done", "done"));
        if (o.evaluate) {
          GENESIS_RETURN_IF_ERROR(
              Write(run / "03_evaluate/curves" / (name + "_roc.csv"), RocCsv(auc)));
          GENESIS_RETURN_IF_ERROR(Write(run / "03_evaluate/curves" / (name + "_froc.csv"),
                                        FrocCsv(0.75 + 0.1 * i + fold * 0.03)));
        }
        if (!evaluation_subruns.empty()) evaluation_subruns += ",\n";
        absl::StrAppendFormat(
            &evaluation_subruns,
            "{\"subrun\": \"%s\", \"initializer\": \"%s\", \"fold\": %d, \"fold_name\": "
            "\"subsets %d-%d\", \"seed\": %d, \"label_fraction\": %g, \"test\": {\"auc\": %s, "
            "\"auc_ci95\": [%s, %s], \"n_pos\": 40, \"n_neg\": 360, \"accuracy_0.5\": 0.91, "
            "\"sensitivity_0.5\": 0.8, \"specificity_0.5\": 0.92, \"threshold_youden\": 0.31, "
            "\"accuracy_youden\": 0.9, \"sensitivity_youden\": 0.875, \"specificity_youden\": "
            "0.9, \"cpm\": %.4f, \"froc\": {\"0.125\": 0.2, \"8\": 0.9}}, \"curves\": {\"roc\": "
            "\"curves/%s_roc.csv\", \"froc\": \"curves/%s_froc.csv\"}}",
            name, inits[i], fold, 2 * fold, 2 * fold + 1, o.seed, fraction, N(auc), N(auc - 0.02),
            N(auc + 0.02), 0.7 + 0.1 * i, name, name);
      }
    }
  }
  if (o.imagenet_failed) {
    for (int fold = 0; fold < 2; ++fold) {
      absl::StrAppend(&subruns_csv, SubrunName("imagenet", fold, o.seed, 1), ",imagenet,", fold,
                      ",subsets ", 2 * fold, "-", 2 * fold + 1, ",", o.seed, ",1,failed\n");
    }
  }
  GENESIS_RETURN_IF_ERROR(Write(transfer / "subruns.csv", subruns_csv));
  GENESIS_RETURN_IF_ERROR(Write(transfer / ".done", "333-42"));
  if (!o.evaluate) return absl::OkStatus();

  // Evaluate.
  const std::string summary = absl::StrFormat(
      "{\"initializer\": \"scratch\", \"label_fraction\": 1, \"pooled\": {\"auc\": %s, "
      "\"auc_ci95\": [%s, %s]}, \"folds\": {\"auc_mean\": %s, \"auc_sd\": 0.0057, "
      "\"n_folds\": 2}, \"seeds\": {\"auc_mean\": %s, \"auc_sd\": 0, \"n_seeds\": 1}},\n"
      "{\"initializer\": \"self_supervised\", \"label_fraction\": 1, \"pooled\": {\"auc\": %s, "
      "\"auc_ci95\": [%s, %s]}, \"folds\": {\"auc_mean\": %s, \"auc_sd\": 0.0057, "
      "\"n_folds\": 2}, \"seeds\": {\"auc_mean\": %s, \"auc_sd\": 0, \"n_seeds\": 1}},\n"
      "{\"initializer\": \"scratch\", \"label_fraction\": 0.25, \"pooled\": {\"auc\": %s, "
      "\"auc_ci95\": [%s, %s]}, \"folds\": {\"auc_mean\": %s, \"auc_sd\": 0.0057, "
      "\"n_folds\": 2}, \"seeds\": {\"auc_mean\": %s, \"auc_sd\": 0, \"n_seeds\": 1}},\n"
      "{\"initializer\": \"self_supervised\", \"label_fraction\": 0.25, \"pooled\": {\"auc\": "
      "%s, \"auc_ci95\": [%s, %s]}, \"folds\": {\"auc_mean\": %s, \"auc_sd\": 0.0057, "
      "\"n_folds\": 2}, \"seeds\": {\"auc_mean\": %s, \"auc_sd\": 0, \"n_seeds\": 1}}",
      N(0.9512 + off), N(0.9401 + off), N(0.9623 + off), N(0.9510 + off), N(0.9510 + off),
      N(0.9634 + off), N(0.9540 + off), N(0.9728 + off), N(0.9630 + off), N(0.9630 + off),
      N(0.9012 + off), N(0.8850 + off), N(0.9174 + off), N(0.9010 + off), N(0.9010 + off),
      N(0.9434 + off), N(0.9300 + off), N(0.9568 + off), N(0.9430 + off), N(0.9430 + off));
  const std::string comparisons = absl::StrFormat(
      "{\"a\": \"self_supervised\", \"b\": \"scratch\", \"label_fraction\": 1, \"scope\": "
      "\"pooled\", \"seed\": %d, \"auc_a\": %s, \"auc_b\": %s, \"delta\": 0.0122, "
      "\"delta_ci95\": [-0.0031, 0.0275], \"p_value\": 0.118, \"significant\": false, "
      "\"method\": \"paired DeLong\"},\n"
      "{\"a\": \"self_supervised\", \"b\": \"scratch\", \"label_fraction\": 0.25, \"scope\": "
      "\"pooled\", \"seed\": %d, \"auc_a\": %s, \"auc_b\": %s, \"delta\": 0.0422, "
      "\"delta_ci95\": [0.0100, 0.0744], \"p_value\": 0.0092, \"significant\": true, "
      "\"method\": \"paired DeLong\"},\n"
      "{\"a\": \"self_supervised\", \"b\": \"scratch\", \"label_fraction\": 1, \"scope\": "
      "\"fold 0\", \"seed\": %d, \"auc_a\": %s, \"auc_b\": %s, \"delta\": 0.0122, "
      "\"delta_ci95\": [-0.0100, 0.0344], \"p_value\": 0.28, \"significant\": false, "
      "\"method\": \"paired DeLong\"}",
      o.seed, N(0.9634 + off), N(0.9512 + off), o.seed, N(0.9434 + off), N(0.9012 + off), o.seed,
      N(0.9674 + off), N(0.9552 + off));
  GENESIS_RETURN_IF_ERROR(
      Write(run / "03_evaluate/evaluation.json",
            absl::StrCat("{\"transfer_dir\": \"", transfer.string(), "\", \"task\": \"", o.task,
                         "\", \"alpha\": 0.05,\n\"subruns\": [", evaluation_subruns,
                         "],\n\"summary\": [", summary, "],\n\"comparisons\": [", comparisons,
                         "],\n\"warnings\": [\"", kEvaluationWarning, "\"]}\n")));
  return Write(run / "03_evaluate/.done", "444-42");
}

}  // namespace genesis
