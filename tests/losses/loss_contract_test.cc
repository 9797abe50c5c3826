// Every loss's contract (Loss::reads()) is what its Compute really needs:
// given only the inputs it declares it computes a finite value, and without
// any one of them it fails. The trainer relies on this to check a run before
// its first step and to compute only what some loss reads. Option-dependent
// contracts (fitnet's stage, irg's transformation term, ega's own
// embeddings, crd's input and sampling) are covered by the specs below; a
// loss registered without a case here fails the test.
#include <ATen/ATen.h>

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/options.h"
#include "losses/loss.h"
#include "losses/loss_set.h"
#include "tests/testing/checked_meta_device.h"

namespace kd {
namespace {

const std::vector<std::string>& Specs() {
  static const auto* specs = new std::vector<std::string>{
      "ce",
      "kd",
      "pkt",
      "rkd",
      "nce",
      "ccl",
      "irg",
      "irg:tran_from=1,tran_to=2",
      "fitnet",
      "fitnet:stage=1",
      "fitnet:stage=2,preact=true",
      "ega",
      "ega:embed_dim=5",
      "ega:node_target=labels",
      "ega:node_target=masked",
      "ega:node_target=teacher",
      "crd:nce_k=6",
      "crd:nce_k=6,input=pooled",
      "crd:nce_k=6,sampling=uniform",
      "kd:standardize=true",
      "ccl:standardize=true",
      "dkd",
      "dkd:standardize=true",
      "dist",
      "dist:standardize=true",
      "at",
      "sp",
      "cc",
      "vid",
  };
  return *specs;
}

constexpr int64_t kBatch = 8, kClasses = 4, kDataset = 16;

LossContext Context() {
  LossContext c;
  c.student_embed_dim = c.teacher_embed_dim = 6;
  c.student_feature_dim = 10;
  c.teacher_feature_dim = 12;
  c.student_stage_channels = {3, 4, 8};
  c.teacher_stage_channels = {3, 6, 12};
  c.student_stage_sizes = c.teacher_stage_sizes = {8, 4, 2};
  c.num_classes = kClasses;
  c.dataset_size = kDataset;
  for (int64_t i = 0; i < kDataset; ++i)
    c.dataset_labels.push_back(i % kClasses);
  return c;
}

BackboneOutput Output(const std::vector<int64_t>& channels, int64_t pooled) {
  BackboneOutput out;
  const std::vector<int64_t> sizes = {8, 4, 2};
  for (size_t s = 0; s < channels.size(); ++s) {
    out.stage_features.push_back(
        at::randn({kBatch, channels[s], sizes[s], sizes[s]}).relu());
    out.preact_stage_features.push_back(
        at::randn({kBatch, channels[s], sizes[s], sizes[s]}));
  }
  out.pooled = at::randn({kBatch, pooled});
  out.logits = at::randn({kBatch, kClasses});
  return out;
}

// The inputs of a batch holding exactly `inputs` (the backbone outputs are
// copies trimmed to the declared parts).
struct Batch {
  Batch(const LossInputSet& inputs, const BackboneOutput& student,
        const BackboneOutput& teacher) {
    auto keep = [&](LossInput input, const at::Tensor& t) {
      return inputs.contains(input) ? t : at::Tensor();
    };
    at::manual_seed(7);
    in.student_embed =
        keep(LossInput::kStudentEmbedding, at::randn({kBatch, 6}));
    in.teacher_embed =
        keep(LossInput::kTeacherEmbedding, at::randn({kBatch, 6}));
    in.student_logits =
        keep(LossInput::kStudentLogits, at::randn({kBatch, kClasses}));
    in.teacher_logits =
        keep(LossInput::kTeacherLogits, at::randn({kBatch, kClasses}));
    in.labels = keep(LossInput::kLabels, at::arange(kBatch) % kClasses);
    in.indices = keep(LossInput::kIndices, at::arange(kBatch));
    student_ =
        Trim(student, inputs, LossInput::kStudentPooled,
             LossInput::kStudentStageMaps, LossInput::kStudentPreactMaps);
    teacher_ =
        Trim(teacher, inputs, LossInput::kTeacherPooled,
             LossInput::kTeacherStageMaps, LossInput::kTeacherPreactMaps);
    in.student = &student_;
    in.teacher = &teacher_;
  }
  static BackboneOutput Trim(const BackboneOutput& full,
                             const LossInputSet& inputs, LossInput pooled,
                             LossInput maps, LossInput preact) {
    BackboneOutput out;
    if (inputs.contains(pooled)) out.pooled = full.pooled;
    if (inputs.contains(maps)) out.stage_features = full.stage_features;
    if (inputs.contains(preact)) {
      out.preact_stage_features = full.preact_stage_features;
    }
    return out;
  }
  LossInputs in;

 private:
  BackboneOutput student_, teacher_;
};

LossInputSet Without(const LossInputSet& inputs, LossInput removed) {
  LossInputSet out;
  for (int i = 0; i <= static_cast<int>(LossInput::kIndices); ++i) {
    const LossInput input = static_cast<LossInput>(i);
    if (inputs.contains(input) && input != removed) out.Add(input);
  }
  return out;
}

TEST(LossContractTest, EveryLossComputesFromItsDeclaredInputsAlone) {
  const BackboneOutput student = Output({3, 4, 8}, 10);
  const BackboneOutput teacher = Output({3, 6, 12}, 12);
  std::set<std::string> covered;
  for (const std::string& text : Specs()) {
    SCOPED_TRACE(text);
    absl::StatusOr<PluginSpec> spec = ParsePluginSpec(text);
    ASSERT_TRUE(spec.ok());
    covered.insert(spec->name);
    absl::StatusOr<std::unique_ptr<Loss>> loss =
        Loss::Registry::Global().Create(*spec, Context());
    ASSERT_TRUE(loss.ok()) << loss.status();
    const LossInputSet reads = (*loss)->reads();
    EXPECT_FALSE(reads.MissingFrom({}).empty()) << "reads nothing";
    Batch declared(reads, student, teacher);
    absl::StatusOr<LossValue> value = (*loss)->Compute(declared.in);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_TRUE(std::isfinite(value->total.item<double>()));
    for (LossInput input : reads.MissingFrom({})) {
      SCOPED_TRACE(LossInputName(input));
      Batch lacking(Without(reads, input), student, teacher);
      EXPECT_FALSE((*loss)->Compute(lacking.in).ok());
    }
  }
  for (const std::string& name : Loss::Registry::Global().Names()) {
    EXPECT_TRUE(covered.count(name)) << "no contract case for loss " << name;
  }
}

// A teacher without stage maps (TorchScript, feature cache) cannot serve the
// stage-map losses: the run's check names the loss and the input, and vid,
// which sizes its regressors from the teacher's stages, says so itself. cc
// reads pooled features, which every teacher gives.
TEST(LossContractTest, StageMapLossesNeedATeacherWithStageMaps) {
  LossInputSet pooled_only = {
      LossInput::kStudentEmbedding, LossInput::kTeacherEmbedding,
      LossInput::kStudentLogits,    LossInput::kTeacherLogits,
      LossInput::kStudentPooled,    LossInput::kTeacherPooled,
      LossInput::kStudentStageMaps, LossInput::kStudentPreactMaps,
      LossInput::kLabels,           LossInput::kIndices};
  const std::string why = "teacher torchscript:t.pt gives pooled features only";
  for (const std::string spec : {"at", "at:p=4", "sp"}) {
    SCOPED_TRACE(spec);
    auto losses = LossSet::Create({"ce", spec}, Context());
    ASSERT_TRUE(losses.ok()) << losses.status();
    const absl::Status status = (*losses)->CheckInputs(pooled_only, why);
    EXPECT_THAT(std::string(status.message()),
                ::testing::HasSubstr(
                    "loss '" + spec +
                    "' reads teacher stage feature maps, which this run does "
                    "not provide: " +
                    why));
  }
  LossContext no_teacher_maps = Context();
  no_teacher_maps.teacher_stage_channels.clear();
  no_teacher_maps.teacher_stage_sizes.clear();
  EXPECT_THAT(
      std::string(LossSet::Create({"vid"}, no_teacher_maps).status().message()),
      ::testing::HasSubstr("vid: needs the stage feature maps of student and "
                           "teacher"));
  auto cc = LossSet::Create({"cc"}, no_teacher_maps);
  ASSERT_TRUE(cc.ok()) << cc.status();
  EXPECT_TRUE((*cc)->CheckInputs(pooled_only, why).ok());
}

// `in` with every floating tensor converted by `convert` (the backbone
// outputs copied to `student` and `teacher`).
template <typename Convert>
LossInputs Converted(const LossInputs& in, BackboneOutput* student,
                     BackboneOutput* teacher, Convert convert) {
  const auto each = [&](const BackboneOutput* from, BackboneOutput* to) {
    to->pooled = convert(from->pooled);
    for (const at::Tensor& t : from->stage_features) {
      to->stage_features.push_back(convert(t));
    }
    for (const at::Tensor& t : from->preact_stage_features) {
      to->preact_stage_features.push_back(convert(t));
    }
  };
  LossInputs out = in;
  out.student_embed = convert(in.student_embed);
  out.teacher_embed = convert(in.teacher_embed);
  out.student_logits = convert(in.student_logits);
  out.teacher_logits = convert(in.teacher_logits);
  each(in.student, student);
  each(in.teacher, teacher);
  out.student = student;
  out.teacher = teacher;
  return out;
}

// Under --precision=bf16 the networks hand the losses bf16 feature maps and
// pooled features. Every loss then computes in fp32 (LossSet's island): its
// value from bf16 inputs equals its value from the same numbers in fp32, and
// is within 2 % of the value on the unrounded inputs (rounding to bf16 moves
// each input by up to 2^-9 relative). Gradients flow back in bf16.
TEST(LossContractTest, EveryLossComputesInFp32FromBf16Inputs) {
  const BackboneOutput student = Output({3, 4, 8}, 10);
  const BackboneOutput teacher = Output({3, 6, 12}, 12);
  const auto to_bf16 = [](const at::Tensor& t) {
    return t.defined() ? t.to(at::kBFloat16) : t;
  };
  const auto rounded = [](const at::Tensor& t) {
    return t.defined() ? t.to(at::kBFloat16).to(at::kFloat) : t;
  };
  const auto same = [](const at::Tensor& t) { return t; };
  for (const std::string& text : Specs()) {
    SCOPED_TRACE(text);
    // A fresh loss set per value: crd's memory bank moves with every call.
    const auto value_of = [&](const auto& convert, bool backward) {
      at::manual_seed(11);
      absl::StatusOr<std::shared_ptr<LossSet>> losses =
          LossSet::Create({text}, Context());
      EXPECT_TRUE(losses.ok()) << losses.status();
      Batch batch((*losses)->reads(), student, teacher);
      BackboneOutput s, t;
      LossInputs in = Converted(batch.in, &s, &t, convert);
      if (backward && in.student_logits.defined()) {
        in.student_logits.requires_grad_();
      }
      at::manual_seed(12);
      absl::StatusOr<LossSetValue> value = (*losses)->Compute(in);
      EXPECT_TRUE(value.ok()) << value.status();
      EXPECT_EQ(value->total.scalar_type(), at::kFloat);
      if (backward && value->total.requires_grad()) {
        value->total.backward();
        if (in.student_logits.defined()) {
          EXPECT_EQ(in.student_logits.grad().scalar_type(), at::kBFloat16);
          EXPECT_TRUE(in.student_logits.grad().isfinite().all().item<bool>());
        }
      }
      return value->total.item<double>();
    };
    const double from_bf16 = value_of(to_bf16, /*backward=*/true);
    const double from_rounded = value_of(rounded, false);
    const double exact = value_of(same, false);
    EXPECT_NEAR(from_bf16, from_rounded, 1e-6 * std::max(1.0, std::abs(exact)));
    EXPECT_NEAR(from_rounded, exact, 2e-2 * std::max(1.0, std::abs(exact)));
  }
}

// Every loss keeps all its state (parameters, buffers, CRD's banks and
// sampling tables) on the device it is moved to, and creates what it makes
// per step there: on the checked meta device, any CPU tensor mixed in is an
// error, as it would be on CUDA. Forward and backward run; the value and the
// gradients stay on the device.
TEST(LossContractTest, EveryLossRunsOnTheDeviceItIsMovedTo) {
  const BackboneOutput student = Output({3, 4, 8}, 10);
  const BackboneOutput teacher = Output({3, 6, 12}, 12);
  const auto to_meta = [](const at::Tensor& t) {
    return t.defined() ? t.to(at::kMeta) : t;
  };
  testing::CheckedMetaDevice meta;
  for (const std::string& text : Specs()) {
    SCOPED_TRACE(text);
    absl::StatusOr<std::shared_ptr<LossSet>> losses =
        LossSet::Create({text}, Context());
    ASSERT_TRUE(losses.ok()) << losses.status();
    (*losses)->to(at::kMeta);
    for (const at::Tensor& p : (*losses)->parameters()) {
      EXPECT_TRUE(p.is_meta());
    }
    for (const at::Tensor& b : (*losses)->buffers()) EXPECT_TRUE(b.is_meta());
    Batch batch((*losses)->reads(), student, teacher);
    BackboneOutput s, t;
    LossInputs in = Converted(batch.in, &s, &t, to_meta);
    in.labels = to_meta(in.labels);
    in.indices = to_meta(in.indices);
    if (in.student_logits.defined()) in.student_logits.requires_grad_();
    if (in.student_embed.defined()) in.student_embed.requires_grad_();
    absl::StatusOr<LossSetValue> value;
    try {
      value = (*losses)->Compute(in);
      if (value.ok() && value->total.requires_grad()) value->total.backward();
    } catch (const c10::Error& e) {
      ADD_FAILURE() << e.what_without_backtrace();
      continue;
    }
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_TRUE(value->total.is_meta());
    for (const auto& [name, term] : value->terms) {
      EXPECT_TRUE(term.is_meta()) << name;
    }
    for (const at::Tensor& p : (*losses)->parameters()) {
      if (p.grad().defined()) {
        EXPECT_TRUE(p.grad().is_meta());
      }
    }
    if (in.student_logits.defined() && in.student_logits.grad().defined()) {
      EXPECT_TRUE(in.student_logits.grad().is_meta());
    }
  }
}

TEST(LossContractTest, InputSetsAndNames) {
  LossInputSet set = {LossInput::kLabels, LossInput::kTeacherStageMaps};
  EXPECT_TRUE(set.contains(LossInput::kLabels));
  EXPECT_FALSE(set.contains(LossInput::kIndices));
  EXPECT_EQ(set.MissingFrom({LossInput::kLabels}),
            std::vector<LossInput>{LossInput::kTeacherStageMaps});
  set.Add(LossInputSet{LossInput::kIndices});
  EXPECT_TRUE(set.contains(LossInput::kIndices));
  EXPECT_EQ(set, (LossInputSet{LossInput::kIndices, LossInput::kLabels,
                               LossInput::kTeacherStageMaps}));
  EXPECT_STREQ(LossInputName(LossInput::kTeacherStageMaps),
               "teacher stage feature maps");
}

}  // namespace
}  // namespace kd
