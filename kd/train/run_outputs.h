// The files a run leaves for people and other tools, besides its checkpoints:
// PyTorch-loadable state dicts of the trained network (torch.load +
// load_state_dict), the learning-curve plot and summary.json.
#ifndef KD_TRAIN_RUN_OUTPUTS_H_
#define KD_TRAIN_RUN_OUTPUTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "kd/train/metrics_log.h"
#include "kd/train/run_setup.h"
#include "kd/train/trainer.h"

namespace kd {

// <role>_<suffix>.pt (backbone) and <role>_head_<suffix>.pt (head).
absl::Status WriteNetworkFiles(const TrainingRun& run,
                               const std::string& suffix);

// learning_curve.png: train and test error per epoch (and the teacher head's
// test error when measured). Nothing for an empty record list.
absl::Status WriteLearningCurve(const TrainingRun& run,
                                const std::vector<EpochRecord>& records);

// summary.json: what ran and how it ended.
absl::Status WriteSummary(const TrainingRun& run, const RunResult& result);

}  // namespace kd

#endif  // KD_TRAIN_RUN_OUTPUTS_H_
