// A training run's parts, built from a RunConfig before the first step:
// data and loaders, the network being trained, the teacher side, the losses
// (checked against what the run provides), the optimiser and the schedule.
// Every check of user input happens here, so a bad flag, file or plugin is
// an error before anything trains.
//
//   KD_ASSIGN_OR_RETURN(std::unique_ptr<TrainingRun> run, SetUpRun(config));
//   ... run->model, run->teacher (null in teacher mode), run->losses ...
#ifndef KD_TRAIN_RUN_SETUP_H_
#define KD_TRAIN_RUN_SETUP_H_

#include <torch/nn/module.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backbones/network.h"
#include "kd/data/dataset.h"
#include "kd/data/loader.h"
#include "kd/dist/dist_group.h"
#include "kd/train/data_parallel.h"
#include "kd/train/loss_scaler.h"
#include "kd/train/lr_schedule.h"
#include "kd/train/run_config.h"
#include "kd/train/teacher_side.h"
#include "losses/loss_set.h"

namespace kd {

struct TrainingRun {
  RunConfig config;
  torch::Device device{torch::kCPU};
  // "student", or "teacher" in teacher mode: names the output files.
  std::string role;

  std::shared_ptr<const Dataset> train_set, eval_set;
  std::unique_ptr<DataLoader> train_loader, eval_loader;
  int64_t num_classes = 0;
  int input_size = 32;
  int64_t steps_per_epoch = 0;  // after --max_steps_per_epoch

  Network model;                         // the network this run trains
  std::unique_ptr<TeacherSide> teacher;  // null in teacher mode
  std::shared_ptr<LossSet> losses;
  // What some loss reads: the step computes only that.
  LossInputSet loss_reads;

  // Every module the optimiser updates, under one name each ("backbone",
  // "head", "losses"), so its state is saved by parameter name.
  std::shared_ptr<torch::nn::Module> trainable;
  std::unique_ptr<torch::optim::SGD> optimizer;
  std::unique_ptr<LrSchedule> schedule;
  // fp16 runs only: the dynamic loss scale (null otherwise).
  std::unique_ptr<LossScaler> loss_scaler;

  // Data-parallel runs (several processes); null for one process.
  std::unique_ptr<DataParallel> parallel;
  // Whether this process writes the run's files (checkpoints, metrics,
  // plots, the progress bar): rank 0, or the only process.
  bool writes_outputs() const {
    return !parallel || parallel->group->is_main();
  }

  std::string Path(const std::string& file) const {
    return config.out_dir + "/" + file;
  }
  // Sets the optimiser's learning rate (the schedule's value for a step).
  void SetLr(double lr);
  // Moves the trained network, the teacher side and the losses (with all
  // their state) to `target`, which the step then copies batches to.
  // SetUpRun moves them to config.device with it; tests move a run to the
  // checked meta device to find tensors left behind.
  void To(const torch::Device& target);
};

// Validates `config`, seeds torch's generator with config.seed, and builds
// the run in a fixed order (data, the trained network, the teacher side,
// the losses, the loaders), so the same seed gives the same weights. Does
// not touch config.out_dir. With `group` (a data-parallel run of several
// processes) the loaders see this rank's shard and SetUpDataParallel
// connects the rest.
absl::StatusOr<std::unique_ptr<TrainingRun>> SetUpRun(
    const RunConfig& config, std::shared_ptr<DistGroup> group = nullptr);

}  // namespace kd

#endif  // KD_TRAIN_RUN_SETUP_H_
