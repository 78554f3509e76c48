// Makes every plugin kind known to the catalog, so `genesis plugins` lists kinds that have no
// plugin linked yet and config validation can name them.
#include "core/backbone.h"
#include "core/dataset_source.h"
#include "core/evaluator.h"
#include "core/head.h"
#include "core/image_reader.h"
#include "core/initializer.h"
#include "core/normalization.h"
#include "core/preprocessor.h"
#include "core/pretext_task.h"
#include "core/registry.h"
#include "core/reporter.h"
#include "core/sampler.h"
#include "core/stage.h"
#include "core/task.h"

namespace genesis {

GENESIS_DEFINE_PLUGIN_KIND(DatasetSource);
GENESIS_DEFINE_PLUGIN_KIND(ImageReader);
GENESIS_DEFINE_PLUGIN_KIND(Sampler);
GENESIS_DEFINE_PLUGIN_KIND(Preprocessor);
GENESIS_DEFINE_PLUGIN_KIND(PretextTask);
GENESIS_DEFINE_PLUGIN_KIND(Backbone);
GENESIS_DEFINE_PLUGIN_KIND(NormalizationLayer);
GENESIS_DEFINE_PLUGIN_KIND(Initializer);
GENESIS_DEFINE_PLUGIN_KIND(Head);
GENESIS_DEFINE_PLUGIN_KIND(Evaluator);
GENESIS_DEFINE_PLUGIN_KIND(Reporter);
GENESIS_DEFINE_PLUGIN_KIND(StageRunner);
GENESIS_DEFINE_PLUGIN_KIND(Task);

}  // namespace genesis
