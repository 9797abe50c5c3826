#include "kd/train/data_parallel.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "backbones/layers.h"
#include "glog/logging.h"
#include "kd/dist/all_gather.h"
#include "kd/status_macros.h"
#include "kd/train/run_setup.h"

namespace kd {
namespace {

torch::Tensor Gather(DistGroup& group, const torch::Tensor& local,
                     bool keep_gradients) {
  if (!local.defined()) return local;
  return AllGatherBatch(group, keep_gradients ? local : local.detach());
}

// The parts of one side's backbone output that `reads` asks for (`pooled`,
// `stage_maps`, `preact_maps` name that side's inputs), gathered into `out`;
// null when it asks for none.
const BackboneOutput* GatherBackbone(DistGroup& group,
                                     const BackboneOutput* local,
                                     const LossInputSet& reads,
                                     LossInput pooled, LossInput stage_maps,
                                     LossInput preact_maps, bool keep_gradients,
                                     BackboneOutput* out) {
  if (!local || !reads.contains_any({pooled, stage_maps, preact_maps})) {
    return nullptr;
  }
  if (reads.contains(pooled)) {
    out->pooled = Gather(group, local->pooled, keep_gradients);
  }
  if (reads.contains(stage_maps)) {
    for (const torch::Tensor& t : local->stage_features) {
      out->stage_features.push_back(Gather(group, t, keep_gradients));
    }
  }
  if (reads.contains(preact_maps)) {
    for (const torch::Tensor& t : local->preact_stage_features) {
      out->preact_stage_features.push_back(Gather(group, t, keep_gradients));
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<DistGroup>> JoinDataParallelRun(
    const RunConfig& config) {
  DistRequest request;
  request.rank = config.rank;
  request.world_size = config.world_size;
  request.local_rank = config.local_rank;
  request.master_addr = config.master_addr;
  request.master_port = config.master_port;
  request.backend = config.dist_backend;
  request.timeout_s = config.dist_timeout_s;
  KD_ASSIGN_OR_RETURN(const DistOptions options,
                      ResolveDistOptions(request, GetEnvironment));
  if (!options.distributed()) return std::shared_ptr<DistGroup>();
  KD_ASSIGN_OR_RETURN(std::shared_ptr<DistGroup> group,
                      DistGroup::Connect(options));
  LOG(INFO) << "data-parallel: " << DescribeDistOptions(options);
  KD_RETURN_IF_ERROR(group->CheckSameOnEveryRank(
      "settings", ResumeFingerprint(config).dump()));
  if (!group->is_main()) FLAGS_minloglevel = std::max(FLAGS_minloglevel, 1);
  return group;
}

absl::Status SetUpDataParallel(TrainingRun& run,
                               std::shared_ptr<DistGroup> group) {
  const RunConfig& c = run.config;
  auto parallel = std::make_unique<DataParallel>();
  parallel->group = group;
  if (c.sync_bn) {
    DistGroup* g = group.get();
    SynchronizeBatchNorm(*run.model.backbone, [g](const torch::Tensor& t) {
      return AllGatherStacked(*g, t);
    });
  }
  KD_RETURN_IF_ERROR(
      group->BroadcastModule(*run.trainable, "initial weights and buffers"));
  if (run.teacher) {
    KD_RETURN_IF_ERROR(run.teacher->EnableDataParallel(
        group, static_cast<int64_t>(c.bucket_mb * (1 << 20))));
  }
  std::vector<torch::Tensor> params;
  for (const auto& group_params : run.optimizer->param_groups()) {
    for (const torch::Tensor& p : group_params.params()) params.push_back(p);
  }
  parallel->gradients = std::make_unique<GradientBuckets>(
      *group, std::move(params), static_cast<int64_t>(c.bucket_mb * (1 << 20)),
      "gradients of " + run.role);
  for (const WeightedLoss& entry : run.losses->losses()) {
    if (!entry.loss->couples_batch()) continue;
    if (c.dist_graph == "global") {
      parallel->whole_batch_reads.Add(entry.loss->reads());
    } else if (!entry.loss->buffers().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--dist_graph=local: loss '", entry.name,
          "' updates state (memory banks) from each batch, which must stay "
          "the same on every rank: use --dist_graph=global"));
    }
  }
  run.parallel = std::move(parallel);
  return absl::OkStatus();
}

LossInputs GatherWholeBatch(DistGroup& group, const LossInputs& local,
                            const LossInputSet& reads, BackboneOutput* student,
                            BackboneOutput* teacher) {
  // Student tensors keep their gradients; the rest are constants.
  const auto gather = [&](LossInput input, const torch::Tensor& t,
                          bool keep_gradients) {
    return reads.contains(input) ? Gather(group, t, keep_gradients)
                                 : torch::Tensor();
  };
  LossInputs all;
  all.epoch = local.epoch;
  all.student_embed =
      gather(LossInput::kStudentEmbedding, local.student_embed, true);
  all.teacher_embed =
      gather(LossInput::kTeacherEmbedding, local.teacher_embed, false);
  all.student_logits =
      gather(LossInput::kStudentLogits, local.student_logits, true);
  all.teacher_logits =
      gather(LossInput::kTeacherLogits, local.teacher_logits, false);
  all.labels = gather(LossInput::kLabels, local.labels, false);
  all.indices = gather(LossInput::kIndices, local.indices, false);
  all.student =
      GatherBackbone(group, local.student, reads, LossInput::kStudentPooled,
                     LossInput::kStudentStageMaps,
                     LossInput::kStudentPreactMaps, true, student);
  all.teacher =
      GatherBackbone(group, local.teacher, reads, LossInput::kTeacherPooled,
                     LossInput::kTeacherStageMaps,
                     LossInput::kTeacherPreactMaps, false, teacher);
  return all;
}

namespace {

absl::Status AverageRunningStatistics(TrainingRun& run) {
  if (run.config.sync_bn) return absl::OkStatus();
  std::vector<torch::Tensor> statistics;
  for (const torch::Tensor& b : run.model.backbone->buffers()) {
    if (b.is_floating_point()) statistics.push_back(b);
  }
  for (const torch::Tensor& b : run.model.head->buffers()) {
    if (b.is_floating_point()) statistics.push_back(b);
  }
  DistGroup& group = *run.parallel->group;
  KD_RETURN_IF_ERROR(
      group.AllReduceSum(statistics, "BatchNorm running statistics"));
  torch::NoGradGuard no_grad;
  for (torch::Tensor& b : statistics) b.div_(group.world_size());
  return absl::OkStatus();
}

}  // namespace

absl::Status FinishDataParallelEpoch(TrainingRun& run, EpochStats& stats) {
  DistGroup& group = *run.parallel->group;
  const GradientBuckets& buckets = *run.parallel->gradients;
  const GradientBuckets::WaitStats waits =
      run.parallel->gradients->TakeWaitStats();
  LOG(INFO) << absl::StrFormat(
      "data-parallel: %.2f MB of gradients all-reduced per step in %d "
      "buckets; %.2f ms per step waited for them after the backward pass",
      buckets.bytes_per_step() / 1e6, buckets.num_buckets(),
      waits.steps ? 1e3 * waits.wait_seconds / waits.steps : 0.0);
  KD_RETURN_IF_ERROR(stats.SumOverRanks(group));
  KD_RETURN_IF_ERROR(AverageRunningStatistics(run));
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (const auto& item : run.trainable->named_parameters()) {
    state.emplace_back(item.key(), item.value());
  }
  for (const auto& item : run.trainable->named_buffers()) {
    state.emplace_back(item.key(), item.value());
  }
  if (run.teacher) {
    for (const auto& item : run.teacher->head()->named_parameters()) {
      state.emplace_back("teacher_head." + item.key(), item.value());
    }
  }
  return group.CheckSameTensors(state, "parameters and buffers");
}

}  // namespace kd
