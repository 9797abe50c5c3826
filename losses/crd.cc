#include "losses/crd.h"

#include <ATen/ATen.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

// RepDistiller's ContrastLoss: the positive (column 0) against m = K
// negatives with noise probability 1/N.
torch::Tensor ContrastLoss(const torch::Tensor& scores, int64_t dataset_size) {
  constexpr double kEps = 1e-7;
  const double m = scores.size(1) - 1;
  const double noise = m / static_cast<double>(dataset_size);
  const torch::Tensor pos = scores.select(1, 0);
  const torch::Tensor neg = scores.slice(1, 1);
  const torch::Tensor log_d1 = (pos / (pos + noise + kEps)).log();
  const torch::Tensor log_d0 = (noise / (neg + noise + kEps)).log();
  return -(log_d1.sum() + log_d0.sum()) / scores.size(0);
}

}  // namespace

OptionSchema CrdLoss::Schema() {
  return {
      {"feat_dim", OptionType::kInt, "128", "width of the contrast heads"},
      {"nce_k", OptionType::kInt, "16384", "negatives per example"},
      {"T", OptionType::kDouble, "0.07", "temperature"},
      {"momentum", OptionType::kDouble, "0.5", "memory bank update momentum"},
      {"input", OptionType::kString, "embed",
       "embed: the node embeddings (the paper's setup); pooled: the "
       "backbones' pooled features"},
      {"sampling", OptionType::kString, "class",
       "class: negatives from other classes (needs LossContext::"
       "dataset_labels); uniform: from the whole data set"},
  };
}

absl::StatusOr<std::unique_ptr<Loss>> CrdLoss::Create(
    const Options& options, const LossContext& context) {
  std::unique_ptr<CrdLoss> loss(new CrdLoss());
  const std::string& input = options.GetString("input");
  const std::string& sampling = options.GetString("sampling");
  if (input != "embed" && input != "pooled") {
    return absl::InvalidArgumentError(absl::StrCat(
        "crd: input must be 'embed' or 'pooled' (found '", input, "')"));
  }
  if (sampling != "class" && sampling != "uniform") {
    return absl::InvalidArgumentError(absl::StrCat(
        "crd: sampling must be 'class' or 'uniform' (found '", sampling, "')"));
  }
  loss->use_pooled_ = input == "pooled";
  loss->class_sampling_ = sampling == "class";
  loss->num_negatives_ = options.GetInt("nce_k");
  loss->temperature_ = options.GetDouble("T");
  loss->momentum_ = options.GetDouble("momentum");
  loss->dataset_size_ = context.dataset_size;
  const int64_t feat_dim = options.GetInt("feat_dim");
  const int64_t ds = loss->use_pooled_ ? context.student_feature_dim
                                       : context.student_embed_dim;
  const int64_t dt = loss->use_pooled_ ? context.teacher_feature_dim
                                       : context.teacher_embed_dim;
  if (feat_dim < 1 || loss->num_negatives_ < 1 || !(loss->temperature_ > 0) ||
      loss->momentum_ < 0 || loss->momentum_ >= 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "crd: needs feat_dim >= 1, nce_k >= 1, T > 0, 0 <= momentum < 1 "
        "(found ",
        feat_dim, ", ", loss->num_negatives_, ", ", loss->temperature_, ", ",
        loss->momentum_, ")"));
  }
  if (ds <= 0 || dt <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("crd: needs the student's and teacher's ",
                     loss->use_pooled_ ? "pooled feature" : "embedding",
                     " widths in LossContext (found ", ds, " and ", dt, ")"));
  }
  if (context.dataset_size < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("crd: needs LossContext::dataset_size >= 2 for its "
                     "memory banks (found ",
                     context.dataset_size, ")"));
  }
  if (loss->class_sampling_) {
    if (static_cast<int64_t>(context.dataset_labels.size()) !=
        context.dataset_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "crd: sampling=class needs LossContext::dataset_labels, one per "
          "example (found ",
          context.dataset_labels.size(), " for dataset_size ",
          context.dataset_size,
          "); pass sampling=uniform to draw negatives "
          "from the whole data set"));
    }
    const torch::Tensor labels =
        torch::tensor(context.dataset_labels, at::kLong);
    if (labels.min().item<int64_t>() < 0) {
      return absl::InvalidArgumentError(
          "crd: LossContext::dataset_labels must be >= 0");
    }
    const torch::Tensor counts = at::bincount(labels);
    if ((counts == context.dataset_size).any().item<bool>()) {
      return absl::InvalidArgumentError(
          "crd: sampling=class needs at least two classes in the data set");
    }
    // Buffers, so that they move with the loss to the run's device.
    loss->dataset_labels_ = loss->register_buffer("dataset_labels", labels);
    loss->by_label_ = loss->register_buffer(
        "by_label", std::get<1>(labels.sort(/*stable=*/true, 0, false)));
    loss->class_count_ = loss->register_buffer("class_count", counts);
    loss->class_start_ =
        loss->register_buffer("class_start", counts.cumsum(0) - counts);
  }
  loss->embed_student_ =
      loss->register_module("embed_student", torch::nn::Linear(ds, feat_dim));
  loss->embed_teacher_ =
      loss->register_module("embed_teacher", torch::nn::Linear(dt, feat_dim));
  const double stdv = 1.0 / std::sqrt(feat_dim / 3.0);
  loss->memory_student_ = loss->register_buffer(
      "memory_student",
      at::rand({context.dataset_size, feat_dim}) * (2 * stdv) - stdv);
  loss->memory_teacher_ = loss->register_buffer(
      "memory_teacher",
      at::rand({context.dataset_size, feat_dim}) * (2 * stdv) - stdv);
  loss->z_student_ = loss->register_buffer("z_student", at::full({}, -1.0));
  loss->z_teacher_ = loss->register_buffer("z_teacher", at::full({}, -1.0));
  return std::unique_ptr<Loss>(std::move(loss));
}

torch::Tensor CrdLoss::SampleContrast(const torch::Tensor& indices,
                                      const torch::Tensor& labels) const {
  const int64_t b = indices.size(0);
  // Drawn on the device of the memory banks, from its generator.
  const at::TensorOptions on_device = memory_student_.options();
  torch::Tensor negatives;
  if (class_sampling_) {
    // Uniform over the indices of other classes: draw r in [0, N - n_y) and
    // skip the block of class y in the label-sorted order.
    const torch::Tensor count = class_count_.index_select(0, labels);
    const torch::Tensor start = class_start_.index_select(0, labels);
    const torch::Tensor others = (dataset_size_ - count).unsqueeze(1);
    torch::Tensor r =
        (at::rand({b, num_negatives_}, on_device.dtype(at::kDouble)) *
         others.to(at::kDouble))
            .floor()
            .to(at::kLong)
            .min(others - 1);
    r = at::where(r < start.unsqueeze(1), r, r + count.unsqueeze(1));
    negatives =
        by_label_.index_select(0, r.reshape({-1})).view({b, num_negatives_});
  } else {
    negatives = at::randint(dataset_size_, {b, num_negatives_},
                            on_device.dtype(at::kLong));
  }
  return at::cat({indices.unsqueeze(1), negatives}, 1);
}

void CrdLoss::to(torch::Dtype dtype, bool non_blocking) {
  Loss::to(dtype, non_blocking);
  KeepTablesInt64();
}

void CrdLoss::to(torch::Device device, torch::Dtype dtype, bool non_blocking) {
  Loss::to(device, dtype, non_blocking);
  KeepTablesInt64();
}

void CrdLoss::KeepTablesInt64() {
  torch::NoGradGuard no_grad;
  for (torch::Tensor* table :
       {&by_label_, &class_start_, &class_count_, &dataset_labels_}) {
    if (table->defined()) table->set_data(table->data().to(at::kLong));
  }
}

LossInputSet CrdLoss::reads() const {
  LossInputSet inputs;
  if (use_pooled_) {
    inputs.Add(LossInput::kStudentPooled).Add(LossInput::kTeacherPooled);
  } else {
    inputs.Add(LossInput::kStudentEmbedding).Add(LossInput::kTeacherEmbedding);
  }
  inputs.Add(LossInput::kIndices);
  if (class_sampling_) inputs.Add(LossInput::kLabels);
  return inputs;
}

absl::StatusOr<LossValue> CrdLoss::Compute(const LossInputs& inputs) {
  KD_ASSIGN_OR_RETURN(EmbeddingPair x,
                      use_pooled_
                          ? StudentTeacherPooled("crd", inputs, false)
                          : StudentTeacherEmbeddings("crd", inputs, false));
  const int64_t b = x.student.size(0);
  KD_ASSIGN_OR_RETURN(
      torch::Tensor indices,
      IntegerInput("crd", "indices", inputs.indices, b, dataset_size_));
  torch::Tensor labels;
  if (class_sampling_) {
    KD_ASSIGN_OR_RETURN(labels,
                        IntegerInput("crd", "labels", inputs.labels, b, 0));
    if (!labels.equal(dataset_labels_.index_select(0, indices))) {
      return absl::InvalidArgumentError(
          "crd: the batch's labels differ from LossContext::dataset_labels at "
          "the batch's indices");
    }
  }
  return ComputeWithContrast(x.student, x.teacher, indices,
                             SampleContrast(indices, labels));
}

absl::StatusOr<LossValue> CrdLoss::ComputeWithContrast(
    const torch::Tensor& student, const torch::Tensor& teacher,
    const torch::Tensor& indices, const torch::Tensor& contrast) {
  const int64_t b = student.size(0);
  if (student.size(1) != embed_student_->options.in_features() ||
      teacher.size(1) != embed_teacher_->options.in_features()) {
    return absl::InvalidArgumentError(
        absl::StrCat("crd: inputs ", ShapeText(student), " and ",
                     ShapeText(teacher), " do not match the heads' widths (",
                     embed_student_->options.in_features(), " and ",
                     embed_teacher_->options.in_features(), ")"));
  }
  if (contrast.dim() != 2 || contrast.size(0) != b || contrast.size(1) < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("crd: contrast indices must be [B, K+1] (found ",
                     ShapeText(contrast), ")"));
  }
  const int64_t d = memory_student_.size(1);
  const int64_t k1 = contrast.size(1);
  const torch::Tensor vs =
      NormaliseRows(embed_student_->forward(student));  // [B, d]
  const torch::Tensor vt =
      NormaliseRows(embed_teacher_->forward(teacher.detach()));
  const torch::Tensor flat = contrast.reshape({-1});
  // Student embeddings against the teacher's memory, and vice versa.
  const torch::Tensor rows_t =
      memory_teacher_.index_select(0, flat).detach().view({b, k1, d});
  const torch::Tensor rows_s =
      memory_student_.index_select(0, flat).detach().view({b, k1, d});
  torch::Tensor out_s =
      (rows_t.bmm(vs.unsqueeze(2)).squeeze(2) / temperature_).exp();
  torch::Tensor out_t =
      (rows_s.bmm(vt.unsqueeze(2)).squeeze(2) / temperature_).exp();
  {
    at::NoGradGuard no_grad;
    if (z_student_.item<double>() < 0) {
      z_student_.fill_(out_s.mean() * static_cast<double>(dataset_size_));
    }
    if (z_teacher_.item<double>() < 0) {
      z_teacher_.fill_(out_t.mean() * static_cast<double>(dataset_size_));
    }
  }
  out_s = out_s / z_student_.to(out_s.scalar_type());
  out_t = out_t / z_teacher_.to(out_t.scalar_type());
  const torch::Tensor loss_s = ContrastLoss(out_s, dataset_size_);
  const torch::Tensor loss_t = ContrastLoss(out_t, dataset_size_);
  if (is_training()) {
    at::NoGradGuard no_grad;
    const auto update = [&](torch::Tensor& memory, const torch::Tensor& v) {
      const torch::Tensor mixed =
          memory.index_select(0, indices) * momentum_ +
          v.detach().to(memory.scalar_type()) * (1 - momentum_);
      memory.index_copy_(
          0, indices,
          mixed / mixed.pow(2).sum(1, true).sqrt().clamp_min(1e-12));
    };
    update(memory_student_, vs);
    update(memory_teacher_, vt);
  }
  LossValue value;
  value.total = loss_s + loss_t;
  value.terms = {{"student", loss_s}, {"teacher", loss_t}};
  return value;
}

KD_REGISTER(Loss, CrdLoss, "crd");

}  // namespace kd
