// t-SNE: perplexity calibration, vantage-point-tree neighbours, exact and
// Barnes-Hut gradients, and the gradient descent with early exaggeration,
// momentum and gains (van der Maaten & Hinton 2008; van der Maaten 2014).
//
// The gradient is the true gradient of KL(P || Q),
//   dC/dy_i = 4 sum_j (p_ij - q_ij) (1 + |y_i - y_j|^2)^-1 (y_i - y_j),
// (scikit-learn's convention; bhtsne drops the 4), which is why the "auto"
// learning rate carries the /4 of scikit-learn's max(N / EE / 4, 50).
#include "kd/tsne/tsne.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <queue>
#include <random>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kd/tsne/tsne_internal.h"

namespace kd {
namespace tsne {
namespace internal {
namespace {

double SquaredDistance(const float* a, const float* b, int dim) {
  double sum = 0;
  for (int d = 0; d < dim; ++d) {
    const double diff = static_cast<double>(a[d]) - b[d];
    sum += diff * diff;
  }
  return sum;
}

// Runs fn(begin, end) on `threads` contiguous slices of [0, n), the first on
// the calling thread. Callers write per-index results only, and reduce them
// in index order afterwards, so results do not depend on the thread count.
void ParallelFor(int n, int threads, const std::function<void(int, int)>& fn) {
  threads = std::max(1, std::min(threads, n));
  if (threads == 1) {
    fn(0, n);
    return;
  }
  const int chunk = (n + threads - 1) / threads;
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) {
    const int begin = t * chunk, end = std::min(n, begin + chunk);
    if (begin < end) workers.emplace_back(fn, begin, end);
  }
  fn(0, std::min(n, chunk));
  for (std::thread& w : workers) w.join();
}

// Sum of values in index order.
double OrderedSum(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return sum;
}

// ------------------------------------------------------ vantage-point tree
// Each node picks a vantage point and splits the remaining points at the
// median distance to it: inside (< radius) and outside (>= radius).
class VantagePointTree {
 public:
  VantagePointTree(const std::vector<float>& data, int n, int dim)
      : data_(data), dim_(dim), order_(n) {
    std::iota(order_.begin(), order_.end(), 0);
    nodes_.reserve(n);
    std::mt19937 rng(12345);  // fixed: the tree shape is no user choice
    root_ = Build(0, n, rng);
  }

  // The k nearest points to point `query` other than itself, nearest first.
  void Search(int query, int k, std::vector<std::pair<double, int>>* out) {
    // Max-heap of (distance, index) holding the best k so far.
    std::priority_queue<std::pair<double, int>> heap;
    double tau = std::numeric_limits<double>::max();
    SearchNode(root_, query, k, &heap, &tau);
    out->resize(heap.size());
    for (int i = static_cast<int>(heap.size()) - 1; i >= 0; --i) {
      (*out)[i] = heap.top();
      heap.pop();
    }
  }

 private:
  struct Node {
    int point = -1;
    double radius = 0;  // Euclidean (not squared): the triangle inequality
    int inside = -1, outside = -1;
  };

  double Distance(int a, int b) const {
    return std::sqrt(SquaredDistance(&data_[static_cast<size_t>(a) * dim_],
                                     &data_[static_cast<size_t>(b) * dim_],
                                     dim_));
  }

  int Build(int lo, int hi, std::mt19937& rng) {
    if (lo >= hi) return -1;
    const int id = static_cast<int>(nodes_.size());
    nodes_.emplace_back();
    std::uniform_int_distribution<int> pick(lo, hi - 1);
    std::swap(order_[lo], order_[pick(rng)]);
    const int vantage = order_[lo];
    nodes_[id].point = vantage;
    if (hi - lo > 1) {
      const int median = (lo + 1 + hi) / 2;
      scratch_.clear();
      for (int i = lo + 1; i < hi; ++i) {
        scratch_.emplace_back(Distance(vantage, order_[i]), order_[i]);
      }
      std::nth_element(scratch_.begin(), scratch_.begin() + (median - lo - 1),
                       scratch_.end());
      for (int i = lo + 1; i < hi; ++i) order_[i] = scratch_[i - lo - 1].second;
      nodes_[id].radius = scratch_[median - lo - 1].first;
      const int inside = Build(lo + 1, median, rng);
      const int outside = Build(median, hi, rng);
      nodes_[id].inside = inside;
      nodes_[id].outside = outside;
    }
    return id;
  }

  void SearchNode(int id, int query, int k,
                  std::priority_queue<std::pair<double, int>>* heap,
                  double* tau) {
    if (id < 0) return;
    const Node& node = nodes_[id];
    const double dist = Distance(query, node.point);
    if (node.point != query && dist < *tau) {
      if (static_cast<int>(heap->size()) == k) heap->pop();
      heap->emplace(dist, node.point);
      if (static_cast<int>(heap->size()) == k) *tau = heap->top().first;
    }
    if (node.inside < 0 && node.outside < 0) return;
    if (dist < node.radius) {
      if (dist - *tau <= node.radius)
        SearchNode(node.inside, query, k, heap, tau);
      if (dist + *tau >= node.radius)
        SearchNode(node.outside, query, k, heap, tau);
    } else {
      if (dist + *tau >= node.radius)
        SearchNode(node.outside, query, k, heap, tau);
      if (dist - *tau <= node.radius)
        SearchNode(node.inside, query, k, heap, tau);
    }
  }

  const std::vector<float>& data_;
  int dim_;
  std::vector<int> order_;
  std::vector<Node> nodes_;
  std::vector<std::pair<double, int>> scratch_;  // Build's distance buffer
  int root_ = -1;
};

// -------------------------------------------------------------- quadtree
// A point-region quadtree over the embedding holding, per cell, the number
// of points and their centre of mass. Leaves hold one point, or several
// when they coincide (or the depth limit is reached).
class QuadTree {
 public:
  explicit QuadTree(const std::vector<double>& y, int n) : y_(y) {
    double min_x = y[0], max_x = y[0], min_y = y[1], max_y = y[1];
    for (int i = 1; i < n; ++i) {
      min_x = std::min(min_x, y[2 * i]);
      max_x = std::max(max_x, y[2 * i]);
      min_y = std::min(min_y, y[2 * i + 1]);
      max_y = std::max(max_y, y[2 * i + 1]);
    }
    const double half =
        std::max({max_x - min_x, max_y - min_y, 1e-12}) * 0.5 * (1 + 1e-9) +
        1e-12;
    nodes_.reserve(2 * n);
    nodes_.push_back(MakeNode((min_x + max_x) / 2, (min_y + max_y) / 2, half));
    for (int i = 0; i < n; ++i) Insert(0, i, 0);
  }

  // Accumulates the repulsive force on point i: sum over j != i of
  // q_ij^2 (y_i - y_j) into force[0..1] and of q_ij into *sum_q, where
  // q_ij = 1 / (1 + |y_i - y_j|^2), cells summarised when
  // width / distance < theta.
  void Repulsion(int i, double theta_squared, double force[2],
                 double* sum_q) const {
    Visit(0, i, y_[2 * i], y_[2 * i + 1], theta_squared, force, sum_q);
  }

 private:
  struct Node {
    double cx, cy, half;          // cell centre and half width
    double com_x = 0, com_y = 0;  // centre of mass
    int count = 0;
    int first_child = -1;     // 4 consecutive nodes, or -1 for a leaf
    std::vector<int> points;  // leaf contents
  };
  static constexpr int kMaxDepth = 48;

  static Node MakeNode(double cx, double cy, double half) {
    Node node;
    node.cx = cx;
    node.cy = cy;
    node.half = half;
    return node;
  }

  int Quadrant(const Node& node, double x, double y) const {
    return (x >= node.cx ? 1 : 0) + (y >= node.cy ? 2 : 0);
  }

  void Insert(int id, int point, int depth) {
    const double x = y_[2 * point], y = y_[2 * point + 1];
    while (true) {
      Node& node = nodes_[id];
      node.com_x = (node.com_x * node.count + x) / (node.count + 1);
      node.com_y = (node.com_y * node.count + y) / (node.count + 1);
      ++node.count;
      if (node.first_child < 0) {
        const bool coincide = !node.points.empty() &&
                              y_[2 * node.points[0]] == x &&
                              y_[2 * node.points[0] + 1] == y;
        if (node.points.empty() || coincide || depth >= kMaxDepth) {
          node.points.push_back(point);
          return;
        }
        Subdivide(id, depth);
      }
      const Node& parent = nodes_[id];
      id = parent.first_child + Quadrant(parent, x, y);
      ++depth;
    }
  }

  // Turns leaf `id` into an inner node, moving its points one level down.
  void Subdivide(int id, int depth) {
    const double cx = nodes_[id].cx, cy = nodes_[id].cy;
    const double h = nodes_[id].half / 2;
    const int first = static_cast<int>(nodes_.size());
    nodes_.push_back(MakeNode(cx - h, cy - h, h));
    nodes_.push_back(MakeNode(cx + h, cy - h, h));
    nodes_.push_back(MakeNode(cx - h, cy + h, h));
    nodes_.push_back(MakeNode(cx + h, cy + h, h));
    Node& node = nodes_[id];  // after push_back: reallocation
    node.first_child = first;
    std::vector<int> moved;
    moved.swap(node.points);
    for (int p : moved) {
      const int child = first + Quadrant(nodes_[id], y_[2 * p], y_[2 * p + 1]);
      Node& c = nodes_[child];
      c.com_x = (c.com_x * c.count + y_[2 * p]) / (c.count + 1);
      c.com_y = (c.com_y * c.count + y_[2 * p + 1]) / (c.count + 1);
      ++c.count;
      c.points.push_back(p);  // all moved points coincide: stays one leaf
    }
    (void)depth;
  }

  void Visit(int id, int i, double xi, double yi, double theta_squared,
             double force[2], double* sum_q) const {
    const Node& node = nodes_[id];
    if (node.count == 0) return;
    if (node.first_child < 0) {
      for (int j : node.points) {
        if (j == i) continue;
        const double dx = xi - y_[2 * j], dy = yi - y_[2 * j + 1];
        const double q = 1.0 / (1.0 + dx * dx + dy * dy);
        *sum_q += q;
        force[0] += q * q * dx;
        force[1] += q * q * dy;
      }
      return;
    }
    const double dx = xi - node.com_x, dy = yi - node.com_y;
    const double d2 = dx * dx + dy * dy;
    const double width = 2 * node.half;
    if (width * width < theta_squared * d2) {
      const double q = 1.0 / (1.0 + d2);
      const double mult = node.count * q;
      *sum_q += mult;
      force[0] += mult * q * dx;
      force[1] += mult * q * dy;
      return;
    }
    for (int c = 0; c < 4; ++c) {
      Visit(node.first_child + c, i, xi, yi, theta_squared, force, sum_q);
    }
  }

  const std::vector<double>& y_;
  std::vector<Node> nodes_;
};

}  // namespace

double CalibrateRow(const double* sq_dist, int m, double perplexity,
                    double tolerance, double* p_out) {
  if (m <= 0) return 1.0;
  const double target = std::log(perplexity);
  // Shift by the smallest distance: entropy and p are unchanged, exp() is
  // safe for any beta.
  const double min_d = *std::min_element(sq_dist, sq_dist + m);
  double beta = 1.0;
  double lo = 0.0, hi = std::numeric_limits<double>::infinity();
  for (int iter = 0; iter < 200; ++iter) {
    double sum = 0, weighted = 0;
    for (int j = 0; j < m; ++j) {
      const double d = sq_dist[j] - min_d;
      p_out[j] = std::exp(-beta * d);
      sum += p_out[j];
      weighted += d * p_out[j];
    }
    const double entropy = std::log(sum) + beta * weighted / sum;
    for (int j = 0; j < m; ++j) p_out[j] /= sum;
    const double diff = entropy - target;
    if (std::abs(diff) < tolerance) break;
    if (diff > 0) {  // too flat: sharpen
      lo = beta;
      beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2;
    } else {
      hi = beta;
      beta = (beta + lo) / 2;
    }
  }
  return beta;
}

std::vector<double> ExactConditionalP(const std::vector<float>& data, int n,
                                      int dim, double perplexity,
                                      double tolerance, int num_threads) {
  std::vector<double> p(static_cast<size_t>(n) * n, 0.0);
  ParallelFor(n, num_threads, [&](int begin, int end) {
    std::vector<double> dist(n > 0 ? n - 1 : 0), row(n > 0 ? n - 1 : 0);
    for (int i = begin; i < end; ++i) {
      int m = 0;
      for (int j = 0; j < n; ++j) {
        if (j == i) continue;
        dist[m++] = SquaredDistance(&data[static_cast<size_t>(i) * dim],
                                    &data[static_cast<size_t>(j) * dim], dim);
      }
      CalibrateRow(dist.data(), m, perplexity, tolerance, row.data());
      m = 0;
      for (int j = 0; j < n; ++j) {
        if (j != i) p[static_cast<size_t>(i) * n + j] = row[m++];
      }
    }
  });
  return p;
}

namespace {

// Exact k nearest neighbours by brute force, for inputs of many dimensions
// where space-partitioning trees visit almost every point anyway. Squared
// distances of blocks of queries against all points are accumulated
// dimension by dimension over a transposed copy (a vectorisable loop), the
// k + margin nearest are picked in float, then their distances are
// recomputed in double and the best k kept in order.
void BruteForceNeighbours(const std::vector<float>& data, int n, int dim, int k,
                          int num_threads, std::vector<int>* indices,
                          std::vector<double>* sq_distances) {
  const int candidates = std::min(k + 8, n - 1);  // margin for float rounding
  std::vector<float> transposed(static_cast<size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < dim; ++d) {
      transposed[static_cast<size_t>(d) * n + i] =
          data[static_cast<size_t>(i) * dim + d];
    }
  }
  constexpr int kBlock = 16;
  const int blocks = (n + kBlock - 1) / kBlock;
  ParallelFor(blocks, num_threads, [&](int block_begin, int block_end) {
    std::vector<float> dist(static_cast<size_t>(kBlock) * n);
    std::vector<int> order(n);
    std::vector<std::pair<double, int>> best;
    for (int blk = block_begin; blk < block_end; ++blk) {
      const int q0 = blk * kBlock;
      const int block = std::min(kBlock, n - q0);
      std::fill(dist.begin(), dist.begin() + static_cast<size_t>(block) * n,
                0.f);
      for (int d = 0; d < dim; ++d) {
        const float* column = &transposed[static_cast<size_t>(d) * n];
        for (int b = 0; b < block; ++b) {
          const float q = data[static_cast<size_t>(q0 + b) * dim + d];
          float* out = &dist[static_cast<size_t>(b) * n];
          for (int j = 0; j < n; ++j) {
            const float diff = column[j] - q;
            out[j] += diff * diff;
          }
        }
      }
      for (int b = 0; b < block; ++b) {
        const int i = q0 + b;
        const float* row = &dist[static_cast<size_t>(b) * n];
        std::iota(order.begin(), order.end(), 0);
        std::swap(order[i], order[n - 1]);  // drop the point itself
        std::nth_element(order.begin(), order.begin() + candidates - 1,
                         order.end() - 1,
                         [row](int a, int c) { return row[a] < row[c]; });
        best.clear();
        for (int c = 0; c < candidates; ++c) {
          const int j = order[c];
          best.emplace_back(
              SquaredDistance(&data[static_cast<size_t>(i) * dim],
                              &data[static_cast<size_t>(j) * dim], dim),
              j);
        }
        std::sort(best.begin(), best.end());
        for (int c = 0; c < k; ++c) {
          (*indices)[static_cast<size_t>(i) * k + c] = best[c].second;
          (*sq_distances)[static_cast<size_t>(i) * k + c] = best[c].first;
        }
      }
    }
  });
}

}  // namespace

void NearestNeighbours(const std::vector<float>& data, int n, int dim, int k,
                       std::vector<int>* indices,
                       std::vector<double>* sq_distances, int num_threads) {
  k = std::min(k, n - 1);
  indices->assign(static_cast<size_t>(n) * k, -1);
  sq_distances->assign(static_cast<size_t>(n) * k, 0.0);
  if (k <= 0) return;
  if (dim > kMaxTreeDimensions) {
    BruteForceNeighbours(data, n, dim, k, num_threads, indices, sq_distances);
    return;
  }
  VantagePointTree tree(data, n, dim);
  ParallelFor(n, num_threads, [&](int begin, int end) {
    std::vector<std::pair<double, int>> found;
    for (int i = begin; i < end; ++i) {
      tree.Search(i, k, &found);
      for (int j = 0; j < k; ++j) {
        (*indices)[static_cast<size_t>(i) * k + j] = found[j].second;
        (*sq_distances)[static_cast<size_t>(i) * k + j] =
            found[j].first * found[j].first;
      }
    }
  });
}

SparseMatrix SparseConditionalP(const std::vector<float>& data, int n, int dim,
                                double perplexity, double tolerance, int k,
                                int num_threads) {
  std::vector<int> indices;
  std::vector<double> sq;
  NearestNeighbours(data, n, dim, k, &indices, &sq, num_threads);
  k = std::min(k, n - 1);
  SparseMatrix p;
  p.n = n;
  p.row_ptr.resize(n + 1);
  p.col = indices;
  p.value.resize(indices.size());
  for (int i = 0; i <= n; ++i) p.row_ptr[i] = i * k;
  ParallelFor(n, num_threads, [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      CalibrateRow(&sq[static_cast<size_t>(i) * k], k, perplexity, tolerance,
                   &p.value[static_cast<size_t>(i) * k]);
    }
  });
  return p;
}

std::vector<double> SymmetrizeDense(const std::vector<double>& conditional,
                                    int n) {
  std::vector<double> p(conditional.size());
  const double scale = 1.0 / (2.0 * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      p[static_cast<size_t>(i) * n + j] =
          (conditional[static_cast<size_t>(i) * n + j] +
           conditional[static_cast<size_t>(j) * n + i]) *
          scale;
    }
  }
  return p;
}

SparseMatrix SymmetrizeSparse(const SparseMatrix& conditional) {
  const int n = conditional.n;
  struct Entry {
    int row, col;
    double value;
  };
  std::vector<Entry> entries;
  entries.reserve(2 * conditional.col.size());
  for (int i = 0; i < n; ++i) {
    for (int e = conditional.row_ptr[i]; e < conditional.row_ptr[i + 1]; ++e) {
      const int j = conditional.col[e];
      entries.push_back({i, j, conditional.value[e]});
      entries.push_back({j, i, conditional.value[e]});
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.row != b.row ? a.row < b.row : a.col < b.col;
  });
  SparseMatrix p;
  p.n = n;
  p.row_ptr.assign(n + 1, 0);
  double total = 0;
  for (size_t e = 0; e < entries.size();) {
    size_t f = e;
    double sum = 0;
    while (f < entries.size() && entries[f].row == entries[e].row &&
           entries[f].col == entries[e].col) {
      sum += entries[f].value;
      ++f;
    }
    p.col.push_back(entries[e].col);
    p.value.push_back(sum);
    ++p.row_ptr[entries[e].row + 1];
    total += sum;
    e = f;
  }
  for (int i = 0; i < n; ++i) p.row_ptr[i + 1] += p.row_ptr[i];
  if (total > 0) {
    for (double& v : p.value) v /= total;
  }
  return p;
}

double ExactGradient(const std::vector<double>& p, const std::vector<double>& y,
                     int n, double exaggeration, std::vector<double>* grad,
                     bool compute_kl, int num_threads) {
  // Two passes over the pairs (Z, then forces) instead of an n x n buffer of
  // Student-t kernels: the same arithmetic without 8 n^2 bytes of traffic.
  auto kernel = [&y](int i, int j) {
    const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
    return 1.0 / (1.0 + dx * dx + dy * dy);
  };
  std::vector<double> z_row(n, 0.0), kl_row(n, 0.0);
  ParallelFor(n, num_threads, [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      double z = 0;
      for (int j = 0; j < n; ++j) {
        if (j != i) z += kernel(i, j);
      }
      z_row[i] = z;
    }
  });
  const double z = OrderedSum(z_row);
  grad->assign(2 * static_cast<size_t>(n), 0.0);
  ParallelFor(n, num_threads, [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      const double* p_row = &p[static_cast<size_t>(i) * n];
      double gx = 0, gy = 0, kl = 0;
      for (int j = 0; j < n; ++j) {
        if (j == i) continue;
        const double num = kernel(i, j);
        const double q = num / z;
        const double mult = (exaggeration * p_row[j] - q) * num;
        gx += mult * (y[2 * i] - y[2 * j]);
        gy += mult * (y[2 * i + 1] - y[2 * j + 1]);
        if (compute_kl && p_row[j] > 0) {
          kl += p_row[j] * std::log(p_row[j] / std::max(q, 1e-300));
        }
      }
      (*grad)[2 * i] = 4 * gx;
      (*grad)[2 * i + 1] = 4 * gy;
      kl_row[i] = kl;
    }
  });
  return OrderedSum(kl_row);
}

double BarnesHutGradient(const SparseMatrix& p, const std::vector<double>& y,
                         int n, double theta, double exaggeration,
                         std::vector<double>* grad, bool compute_kl,
                         int num_threads) {
  const QuadTree tree(y, n);
  std::vector<double> repulsive(2 * static_cast<size_t>(n), 0.0);
  std::vector<double> q_row(n, 0.0), kl_row(n, 0.0);
  const double theta_squared = theta * theta;
  ParallelFor(n, num_threads, [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      tree.Repulsion(i, theta_squared, &repulsive[2 * i], &q_row[i]);
    }
  });
  const double sum_q = OrderedSum(q_row);
  grad->assign(2 * static_cast<size_t>(n), 0.0);
  ParallelFor(n, num_threads, [&](int begin, int end) {
    for (int i = begin; i < end; ++i) {
      double ax = 0, ay = 0, kl = 0;
      for (int e = p.row_ptr[i]; e < p.row_ptr[i + 1]; ++e) {
        const int j = p.col[e];
        const double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        const double q = 1.0 / (1.0 + dx * dx + dy * dy);
        ax += p.value[e] * q * dx;
        ay += p.value[e] * q * dy;
        if (compute_kl && p.value[e] > 0) {
          kl += p.value[e] * std::log(p.value[e] / std::max(q / sum_q, 1e-300));
        }
      }
      (*grad)[2 * i] = 4 * (exaggeration * ax - repulsive[2 * i] / sum_q);
      (*grad)[2 * i + 1] =
          4 * (exaggeration * ay - repulsive[2 * i + 1] / sum_q);
      kl_row[i] = kl;
    }
  });
  return OrderedSum(kl_row);
}

}  // namespace internal

double ResolvedLearningRate(const TsneOptions& options, int n) {
  if (options.learning_rate > 0) return options.learning_rate;
  return std::max(n / options.early_exaggeration / 4.0, 50.0);
}

namespace {

absl::Status ValidateOptions(const TsneOptions& o) {
  auto bad = [](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("t-SNE option ", what));
  };
  if (!(o.perplexity > 1.0) || !std::isfinite(o.perplexity)) {
    return bad(absl::StrCat("perplexity must be > 1, got ", o.perplexity));
  }
  if (!(o.perplexity_tolerance > 0)) {
    return bad(absl::StrCat("perplexity_tolerance must be > 0, got ",
                            o.perplexity_tolerance));
  }
  if (o.max_iterations < 1) {
    return bad(
        absl::StrCat("max_iterations must be >= 1, got ", o.max_iterations));
  }
  if (!(o.theta >= 0) || !std::isfinite(o.theta)) {
    return bad(absl::StrCat("theta must be >= 0, got ", o.theta));
  }
  if (!(o.early_exaggeration >= 1) || !std::isfinite(o.early_exaggeration)) {
    return bad(absl::StrCat("early_exaggeration must be >= 1, got ",
                            o.early_exaggeration));
  }
  if (o.exaggeration_iterations < 0 || o.momentum_switch_iteration < 0) {
    return bad(
        "exaggeration_iterations and momentum_switch_iteration must "
        "be >= 0");
  }
  if (!std::isfinite(o.learning_rate)) {
    return bad(
        absl::StrCat("learning_rate must be finite (<= 0 for auto), "
                     "got ",
                     o.learning_rate));
  }
  for (double m : {o.initial_momentum, o.final_momentum}) {
    if (!(m >= 0 && m < 1)) {
      return bad(absl::StrCat("momentum must be in [0, 1), got ", m));
    }
  }
  if (!(o.min_gain > 0) || !(o.initial_stddev > 0) ||
      !std::isfinite(o.initial_stddev)) {
    return bad("min_gain and initial_stddev must be > 0");
  }
  if (o.progress && o.progress_every < 1) {
    return bad(
        absl::StrCat("progress_every must be >= 1, got ", o.progress_every));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::array<double, 2>>> RunTsne(
    const std::vector<float>& data, int n, int dim,
    const TsneOptions& options) {
  if (n < 2 || dim < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "t-SNE needs n >= 2 points of dim >= 1, got n=", n, " dim=", dim));
  }
  if (data.size() != static_cast<size_t>(n) * dim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "t-SNE input has ", data.size(), " values, expected n*dim=", n, "*",
        dim, "=", static_cast<size_t>(n) * dim));
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (!std::isfinite(data[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("t-SNE input is not finite at point ", i / dim,
                       " dimension ", i % dim, " (", data[i], ")"));
    }
  }
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;

  bool exact;
  switch (options.method) {
    case TsneMethod::kExact:
      exact = true;
      break;
    case TsneMethod::kBarnesHut:
      exact = false;
      break;
    default:
      exact = n <= options.exact_max_points;
  }
  const int neighbours = static_cast<int>(3 * options.perplexity);
  if (exact && !(options.perplexity < n - 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "t-SNE: perplexity ", options.perplexity, " needs more than ",
        options.perplexity + 1, " points, got n=", n));
  }
  if (!exact && neighbours > n - 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Barnes-Hut t-SNE: perplexity ", options.perplexity, " uses ",
        neighbours, " neighbours per point and needs n >= ", neighbours + 1,
        ", got n=", n, " (lower the perplexity or use the exact method)"));
  }

  const int threads =
      options.num_threads > 0
          ? options.num_threads
          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<double> p_dense;
  internal::SparseMatrix p_sparse;
  if (exact) {
    p_dense = internal::SymmetrizeDense(
        internal::ExactConditionalP(data, n, dim, options.perplexity,
                                    options.perplexity_tolerance, threads),
        n);
  } else {
    p_sparse = internal::SymmetrizeSparse(
        internal::SparseConditionalP(data, n, dim, options.perplexity,
                                     options.perplexity_tolerance, neighbours));
  }

  std::mt19937_64 rng(options.seed);
  std::normal_distribution<double> normal(0.0, options.initial_stddev);
  std::vector<double> y(2 * static_cast<size_t>(n));
  for (double& v : y) v = normal(rng);
  std::vector<double> update(y.size(), 0.0), gains(y.size(), 1.0), grad;
  const double eta = ResolvedLearningRate(options, n);

  for (int iter = 0; iter < options.max_iterations; ++iter) {
    const double exaggeration = iter < options.exaggeration_iterations
                                    ? options.early_exaggeration
                                    : 1.0;
    const double momentum = iter < options.momentum_switch_iteration
                                ? options.initial_momentum
                                : options.final_momentum;
    const bool report =
        options.progress && ((iter + 1) % options.progress_every == 0 ||
                             iter + 1 == options.max_iterations);
    const double kl =
        exact
            ? internal::ExactGradient(p_dense, y, n, exaggeration, &grad,
                                      report, threads)
            : internal::BarnesHutGradient(p_sparse, y, n, options.theta,
                                          exaggeration, &grad, report, threads);
    for (size_t k = 0; k < y.size(); ++k) {
      // Gains grow where the gradient keeps changing the direction of travel.
      gains[k] =
          (grad[k] > 0) != (update[k] > 0) ? gains[k] + 0.2 : gains[k] * 0.8;
      gains[k] = std::max(gains[k], options.min_gain);
      update[k] = momentum * update[k] - eta * gains[k] * grad[k];
      y[k] += update[k];
    }
    double mean_x = 0, mean_y = 0;
    for (int i = 0; i < n; ++i) {
      mean_x += y[2 * i];
      mean_y += y[2 * i + 1];
    }
    mean_x /= n;
    mean_y /= n;
    for (int i = 0; i < n; ++i) {
      y[2 * i] -= mean_x;
      y[2 * i + 1] -= mean_y;
    }
    if (report) options.progress(iter + 1, kl);
  }
  for (double v : y) {
    if (!std::isfinite(v)) {
      return absl::InternalError(
          "t-SNE diverged (non-finite coordinates): lower the learning rate");
    }
  }
  std::vector<std::array<double, 2>> out(n);
  for (int i = 0; i < n; ++i) out[i] = {y[2 * i], y[2 * i + 1]};
  return out;
}

}  // namespace tsne
}  // namespace kd
