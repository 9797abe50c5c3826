#include "kd/eval/knn.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kd {
namespace eval {
namespace {

at::Tensor L2Normalize(const at::Tensor& x) {
  return x / x.norm(2, {1}, true).clamp_min(1e-12);
}

}  // namespace

absl::StatusOr<at::Tensor> KnnPredict(const at::Tensor& bank,
                                      const at::Tensor& bank_labels,
                                      const at::Tensor& queries,
                                      const KnnOptions& options) {
  if (!bank.defined() || bank.dim() != 2 || bank.size(0) < 1) {
    return absl::InvalidArgumentError(
        "kNN: the bank must be a non-empty [N, D] tensor");
  }
  if (!queries.defined() || queries.dim() != 2 ||
      queries.size(1) != bank.size(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kNN: queries must be [Q, ", bank.size(1), "] like the bank, got ",
        queries.defined() ? queries.dim() : -1, "-D with ",
        queries.defined() && queries.dim() == 2 ? queries.size(1) : -1,
        " columns"));
  }
  if (!bank_labels.defined() || bank_labels.dim() != 1 ||
      bank_labels.size(0) != bank.size(0) ||
      at::isFloatingType(bank_labels.scalar_type())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kNN: bank labels must be 1-D integers, one per bank row (",
        bank.size(0), ")"));
  }
  if (options.k < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("kNN: k must be >= 1, got ", options.k));
  }
  if (!(options.temperature > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kNN: temperature must be > 0, got ", options.temperature));
  }
  if (options.chunk_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("kNN: chunk_size must be >= 1, got ", options.chunk_size));
  }
  const at::Tensor labels = bank_labels.to(bank.device(), at::kLong);
  const int64_t min_label = labels.min().item<int64_t>();
  if (min_label < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("kNN: bank labels must be >= 0, found ", min_label));
  }
  const int64_t num_classes = options.num_classes > 0
                                  ? options.num_classes
                                  : labels.max().item<int64_t>() + 1;
  if (labels.max().item<int64_t>() >= num_classes) {
    return absl::InvalidArgumentError(
        absl::StrCat("kNN: bank label ", labels.max().item<int64_t>(),
                     " >= num_classes ", num_classes));
  }
  const at::Tensor bank_t = L2Normalize(bank.detach().to(at::kFloat)).t();
  const int64_t k = std::min<int64_t>(options.k, bank.size(0));
  const int64_t q = queries.size(0);
  std::vector<at::Tensor> predictions;
  for (int64_t start = 0; start < q; start += options.chunk_size) {
    const int64_t len = std::min(options.chunk_size, q - start);
    const at::Tensor chunk = L2Normalize(
        queries.detach().narrow(0, start, len).to(bank_t.device(), at::kFloat));
    const auto top = chunk.mm(bank_t).topk(k, 1, true, true);
    const at::Tensor& sim = std::get<0>(top);
    const at::Tensor neighbour_labels =
        labels.index_select(0, std::get<1>(top).reshape(-1)).view({len, k});
    const at::Tensor weights = options.voting == KnnVoting::kExpSimilarity
                                   ? (sim / options.temperature).exp()
                                   : at::ones_like(sim);
    const at::Tensor votes = at::zeros({len, num_classes}, sim.options())
                                 .scatter_add_(1, neighbour_labels, weights);
    // argmax returns the first maximum: ties go to the lower class id.
    predictions.push_back(votes.argmax(1));
  }
  if (predictions.empty()) return at::empty({0}, at::kLong);
  return at::cat(predictions).to(at::kCPU);
}

absl::StatusOr<double> KnnAccuracy(const at::Tensor& bank,
                                   const at::Tensor& bank_labels,
                                   const at::Tensor& queries,
                                   const at::Tensor& query_labels,
                                   const KnnOptions& options) {
  if (!queries.defined() || queries.dim() != 2 || queries.size(0) < 1) {
    return absl::InvalidArgumentError("kNN accuracy needs at least one query");
  }
  if (!query_labels.defined() || query_labels.dim() != 1 ||
      query_labels.size(0) != queries.size(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("kNN: query labels must be 1-D, one per query (",
                     queries.size(0), ")"));
  }
  auto predicted = KnnPredict(bank, bank_labels, queries, options);
  if (!predicted.ok()) return predicted.status();
  return predicted->eq(query_labels.to(at::kCPU, at::kLong))
             .sum()
             .item<int64_t>() /
         static_cast<double>(queries.size(0));
}

}  // namespace eval
}  // namespace kd
