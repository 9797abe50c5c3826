#include "kd/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kd/base/tensor_text.h"

namespace kd {
namespace eval {
namespace {

// Integer class ids int64 [N] on the CPU, each in [0, num_classes).
absl::StatusOr<at::Tensor> CheckedClassIds(const at::Tensor& ids, int64_t n,
                                           int64_t num_classes,
                                           const char* what) {
  if (!ids.defined() || ids.dim() != 1 || ids.size(0) != n) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a 1-D tensor of ", n, " class ids, got ",
                     ShapeText(ids)));
  }
  if (at::isFloatingType(ids.scalar_type()) || ids.scalar_type() == at::kBool) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " must hold integers, got ", c10::toString(ids.scalar_type())));
  }
  at::Tensor cpu = ids.to(at::kCPU, at::kLong).contiguous();
  if (n > 0) {
    const int64_t lo = cpu.min().item<int64_t>();
    const int64_t hi = cpu.max().item<int64_t>();
    if (lo < 0 || hi >= num_classes) {
      return absl::InvalidArgumentError(absl::StrCat(what, " must be in [0, ",
                                                     num_classes, "), found ",
                                                     lo < 0 ? lo : hi));
    }
  }
  return cpu;
}

absl::Status CheckLogits(const at::Tensor& logits) {
  if (!logits.defined() || logits.dim() != 2 || logits.size(1) < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "logits must be [N, C] with C >= 1, got ", ShapeText(logits)));
  }
  return absl::OkStatus();
}

// Top-max(ks) class indices [N, kmax] on the CPU (sorted, best first).
at::Tensor TopIndices(const at::Tensor& logits, int64_t kmax) {
  return std::get<1>(
             logits.detach().to(at::kCPU, at::kFloat).topk(kmax, 1, true, true))
      .contiguous();
}

}  // namespace

absl::StatusOr<std::vector<int64_t>> CountTopKCorrect(
    const at::Tensor& logits, const at::Tensor& targets,
    const std::vector<int>& ks) {
  if (absl::Status s = CheckLogits(logits); !s.ok()) return s;
  if (ks.empty()) return absl::InvalidArgumentError("no k given for top-k");
  for (int k : ks) {
    if (k < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("top-k needs k >= 1, got ", k));
    }
  }
  const int64_t n = logits.size(0), c = logits.size(1);
  auto t = CheckedClassIds(targets, n, c, "targets");
  if (!t.ok()) return t.status();
  const int64_t kmax =
      std::min<int64_t>(*std::max_element(ks.begin(), ks.end()), c);
  const at::Tensor hits = TopIndices(logits, kmax).eq(t->unsqueeze(1));
  std::vector<int64_t> correct;
  for (int k : ks) {
    const int64_t kk = std::min<int64_t>(k, c);
    correct.push_back(
        n == 0 ? 0 : hits.narrow(1, 0, kk).any(1).sum().item<int64_t>());
  }
  return correct;
}

absl::StatusOr<double> TopKAccuracy(const at::Tensor& logits,
                                    const at::Tensor& targets, int k) {
  auto correct = CountTopKCorrect(logits, targets, {k});
  if (!correct.ok()) return correct.status();
  if (logits.size(0) == 0) {
    return absl::InvalidArgumentError("top-k accuracy of an empty batch");
  }
  return static_cast<double>((*correct)[0]) / logits.size(0);
}

absl::StatusOr<at::Tensor> ConfusionMatrix(const at::Tensor& predictions,
                                           const at::Tensor& targets,
                                           int64_t num_classes) {
  if (num_classes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_classes must be >= 1, got ", num_classes));
  }
  if (!predictions.defined() || predictions.dim() != 1) {
    return absl::InvalidArgumentError("predictions must be a 1-D tensor");
  }
  const int64_t n = predictions.size(0);
  auto p = CheckedClassIds(predictions, n, num_classes, "predictions");
  if (!p.ok()) return p.status();
  auto t = CheckedClassIds(targets, n, num_classes, "targets");
  if (!t.ok()) return t.status();
  return at::bincount(*t * num_classes + *p, {}, num_classes * num_classes)
      .view({num_classes, num_classes})
      .to(at::kLong);
}

std::vector<double> PerClassAccuracy(const at::Tensor& confusion) {
  CHECK(confusion.dim() == 2 && confusion.size(0) == confusion.size(1))
      << "confusion matrix must be square";
  const at::Tensor m = confusion.to(at::kCPU, at::kDouble).contiguous();
  const int64_t c = m.size(0);
  const double* d = m.data_ptr<double>();
  std::vector<double> out(c);
  for (int64_t i = 0; i < c; ++i) {
    double row = 0;
    for (int64_t j = 0; j < c; ++j) row += d[i * c + j];
    out[i] =
        row > 0 ? d[i * c + i] / row : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

ClassificationMeter::ClassificationMeter(int64_t num_classes,
                                         std::vector<int> ks)
    : num_classes_(num_classes), ks_(std::move(ks)) {
  CHECK_GE(num_classes_, 1);
  CHECK(!ks_.empty());
  for (int k : ks_) CHECK_GE(k, 1);
  Reset();
}

void ClassificationMeter::Reset() {
  correct_.assign(ks_.size(), 0);
  count_ = 0;
  confusion_ = at::zeros({num_classes_, num_classes_}, at::kLong);
}

absl::Status ClassificationMeter::Add(const at::Tensor& logits,
                                      const at::Tensor& targets) {
  if (absl::Status s = CheckLogits(logits); !s.ok()) return s;
  if (logits.size(1) != num_classes_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "logits have ", logits.size(1), " classes, the meter ", num_classes_));
  }
  const int64_t n = logits.size(0);
  auto t = CheckedClassIds(targets, n, num_classes_, "targets");
  if (!t.ok()) return t.status();
  if (n == 0) return absl::OkStatus();
  const int64_t kmax = std::min<int64_t>(
      *std::max_element(ks_.begin(), ks_.end()), num_classes_);
  const at::Tensor top = TopIndices(logits, kmax);
  const at::Tensor hits = top.eq(t->unsqueeze(1));
  for (size_t i = 0; i < ks_.size(); ++i) {
    const int64_t kk = std::min<int64_t>(ks_[i], num_classes_);
    correct_[i] += hits.narrow(1, 0, kk).any(1).sum().item<int64_t>();
  }
  // Top-1 prediction = first top-k column, so top-1 accuracy and the
  // confusion diagonal always agree, even with tied logits.
  confusion_ += at::bincount(*t * num_classes_ + top.select(1, 0), {},
                             num_classes_ * num_classes_)
                    .view({num_classes_, num_classes_})
                    .to(at::kLong);
  count_ += n;
  return absl::OkStatus();
}

int64_t ClassificationMeter::Correct(int k) const {
  const auto it = std::find(ks_.begin(), ks_.end(), k);
  CHECK(it != ks_.end()) << "top-" << k << " was not requested";
  return correct_[it - ks_.begin()];
}

double ClassificationMeter::TopKAccuracy(int k) const {
  return count_ == 0 ? 0.0 : static_cast<double>(Correct(k)) / count_;
}

std::vector<double> ClassificationMeter::PerClassAccuracy() const {
  return eval::PerClassAccuracy(confusion_);
}

}  // namespace eval
}  // namespace kd
