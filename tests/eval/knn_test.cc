// kNN classifier: hand-made cases where weighted and majority voting differ,
// chunking invariance, and a brute-force reference on random data.
#include "kd/eval/knn.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace eval {
namespace {

using ::testing::HasSubstr;

TEST(KnnTest, WeightedAndMajorityVotingByHand) {
  // Query (1, 0). Bank: A = (1, 0.05) class 0, cos 0.99875;
  // B = (0.7, 0.714), C = (0.7, -0.714) class 1, cos 0.7 each (norm ~1);
  // D = (-1, 0) class 2, cos -1.
  // k = 3 -> A, B, C. Majority: class 1 (2 votes to 1).
  // exp(sim / 0.07): class 0 exp(14.27) = 1.57e6 > class 1 2 exp(10) = 4.4e4.
  const at::Tensor bank =
      at::tensor({1.0f, 0.05f, 0.7f, 0.714f, 0.7f, -0.714f, -1.0f, 0.0f})
          .view({4, 2});
  const at::Tensor labels = at::tensor({0, 1, 1, 2}, at::kLong);
  const at::Tensor query =
      at::tensor({2.0f, 0.0f}).view({1, 2});  // unnormalised
  KnnOptions options;
  options.k = 3;
  options.voting = KnnVoting::kMajority;
  EXPECT_EQ(KnnPredict(bank, labels, query, options)->item<int64_t>(), 1);
  options.voting = KnnVoting::kExpSimilarity;
  EXPECT_EQ(KnnPredict(bank, labels, query, options)->item<int64_t>(), 0);
  // With a high temperature the weights even out and the majority wins.
  options.temperature = 100;
  EXPECT_EQ(KnnPredict(bank, labels, query, options)->item<int64_t>(), 1);
  // k = 1: nearest is A. k larger than the bank is clamped: all 4 vote,
  // majority 1 (two votes).
  options.k = 1;
  EXPECT_EQ(KnnPredict(bank, labels, query, options)->item<int64_t>(), 0);
  options.k = 50;
  options.voting = KnnVoting::kMajority;
  EXPECT_EQ(KnnPredict(bank, labels, query, options)->item<int64_t>(), 1);
  // Accuracy over two queries: (1, 0) -> 0 (k=1), (-1, 0.1) -> D, class 2.
  options.k = 1;
  const at::Tensor queries = at::tensor({1.0f, 0.0f, -1.0f, 0.1f}).view({2, 2});
  EXPECT_DOUBLE_EQ(*KnnAccuracy(bank, labels, queries,
                                at::tensor({0, 2}, at::kLong), options),
                   1.0);
  EXPECT_DOUBLE_EQ(*KnnAccuracy(bank, labels, queries,
                                at::tensor({0, 1}, at::kLong), options),
                   0.5);
}

TEST(KnnTest, MajorityTiesGoToTheLowerClass) {
  const at::Tensor bank = at::tensor({1.0f, 0.1f, 1.0f, -0.1f}).view({2, 2});
  const at::Tensor labels = at::tensor({3, 1}, at::kLong);
  KnnOptions options;
  options.k = 2;
  options.voting = KnnVoting::kMajority;
  EXPECT_EQ(
      KnnPredict(bank, labels, at::tensor({1.0f, 0.0f}).view({1, 2}), options)
          ->item<int64_t>(),
      1);
}

// Independent reference: plain loops, full sort.
std::vector<int64_t> ReferenceKnn(
    const std::vector<std::vector<float>>& bank,
    const std::vector<int64_t>& labels,
    const std::vector<std::vector<float>>& queries, int k, int num_classes,
    bool weighted) {
  auto normalised = [](std::vector<float> v) {
    double n = 0;
    for (float x : v) n += double(x) * x;
    for (float& x : v) x = static_cast<float>(x / std::sqrt(n));
    return v;
  };
  std::vector<int64_t> out;
  for (const auto& q0 : queries) {
    const auto q = normalised(q0);
    std::vector<std::pair<double, int>> sims;
    for (size_t i = 0; i < bank.size(); ++i) {
      const auto b = normalised(bank[i]);
      double s = 0;
      for (size_t d = 0; d < q.size(); ++d) s += double(q[d]) * b[d];
      sims.emplace_back(s, static_cast<int>(i));
    }
    std::sort(sims.rbegin(), sims.rend());
    std::vector<double> votes(num_classes, 0.0);
    for (int j = 0; j < k; ++j) {
      votes[labels[sims[j].second]] +=
          weighted ? std::exp(sims[j].first / 0.07) : 1.0;
    }
    out.push_back(std::max_element(votes.begin(), votes.end()) - votes.begin());
  }
  return out;
}

TEST(KnnTest, MatchesBruteForceReferenceAndIgnoresChunking) {
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.f, 1.f);
  const int n = 300, q = 57, dim = 16, classes = 5;
  std::vector<std::vector<float>> bank(n, std::vector<float>(dim)),
      queries(q, std::vector<float>(dim));
  std::vector<int64_t> labels(n);
  for (int i = 0; i < n; ++i) {
    labels[i] = i % classes;
    for (int d = 0; d < dim; ++d)
      bank[i][d] = normal(rng) + (d == labels[i] ? 1.5f : 0.f);
  }
  for (auto& v : queries) {
    for (float& x : v) x = normal(rng);
  }
  auto to_tensor = [](const std::vector<std::vector<float>>& rows) {
    std::vector<float> flat;
    for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    return at::tensor(flat).view({static_cast<int64_t>(rows.size()), -1});
  };
  const at::Tensor bank_t = to_tensor(bank), query_t = to_tensor(queries);
  const at::Tensor labels_t = at::tensor(labels, at::kLong);
  for (bool weighted : {true, false}) {
    KnnOptions options;
    options.k = 20;
    options.voting =
        weighted ? KnnVoting::kExpSimilarity : KnnVoting::kMajority;
    const std::vector<int64_t> expected =
        ReferenceKnn(bank, labels, queries, 20, classes, weighted);
    for (int64_t chunk : {1, 7, 1024}) {
      options.chunk_size = chunk;
      auto predicted = KnnPredict(bank_t, labels_t, query_t, options);
      ASSERT_TRUE(predicted.ok()) << predicted.status();
      int agree = 0;
      for (int i = 0; i < q; ++i)
        agree += (*predicted)[i].item<int64_t>() == expected[i];
      // Float vs double similarities may reorder near-ties: allow one.
      EXPECT_GE(agree, q - 1) << "chunk " << chunk << " weighted " << weighted;
    }
  }
}

TEST(KnnTest, BadInputIsAClearError) {
  const at::Tensor bank = at::ones({4, 2});
  const at::Tensor labels = at::tensor({0, 1, 1, 0}, at::kLong);
  KnnOptions options;
  EXPECT_THAT(
      KnnPredict(bank, labels, at::ones({2, 3}), options).status().message(),
      HasSubstr("queries must be [Q, 2]"));
  EXPECT_THAT(
      KnnPredict(bank, labels.narrow(0, 0, 3), at::ones({2, 2}), options)
          .status()
          .message(),
      HasSubstr("one per bank row (4)"));
  EXPECT_THAT(KnnPredict(bank, at::tensor({0, -1, 1, 0}, at::kLong),
                         at::ones({2, 2}), options)
                  .status()
                  .message(),
              HasSubstr(">= 0"));
  options.k = 0;
  EXPECT_THAT(
      KnnPredict(bank, labels, at::ones({2, 2}), options).status().message(),
      HasSubstr("k must be >= 1"));
  options.k = 1;
  options.temperature = 0;
  EXPECT_THAT(
      KnnPredict(bank, labels, at::ones({2, 2}), options).status().message(),
      HasSubstr("temperature"));
  EXPECT_FALSE(
      KnnPredict(at::ones({0, 2}), labels, at::ones({2, 2}), KnnOptions())
          .ok());
}

}  // namespace
}  // namespace eval
}  // namespace kd
