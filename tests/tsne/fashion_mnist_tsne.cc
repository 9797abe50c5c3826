// t-SNE of Fashion-MNIST test images (raw pixels) drawn as a scatter plot:
// a check of the t-SNE and the plot on real data, by eye and by the 10-NN
// label agreement in the map.
//
//   bazel run //tests/tsne:fashion_mnist_tsne -- 5000 /tmp/fmnist_tsne.png
//
// Reads t10k-{images-idx3,labels-idx1}-ubyte.gz from $KD_FASHION_MNIST_DIR
// (default /usr/share/datasets/fashion-mnist, the Debian package).
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "kd/plot/plot.h"
#include "kd/tsne/tsne.h"

namespace {

bool ReadGz(const std::string& path, std::vector<unsigned char>* out) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  unsigned char buffer[1 << 16];
  int read;
  while ((read = gzread(file, buffer, sizeof buffer)) > 0) {
    out->insert(out->end(), buffer, buffer + read);
  }
  gzclose(file);
  return read == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fashion_mnist_tsne N OUTPUT.png\n";
    return 2;
  }
  const int n = std::atoi(argv[1]);
  if (n < 100 || n > 10000) {
    std::cerr << "N must be in [100, 10000], got " << argv[1] << "\n";
    return 2;
  }
  const char* env = std::getenv("KD_FASHION_MNIST_DIR");
  const std::string dir = env ? env : "/usr/share/datasets/fashion-mnist";
  std::vector<unsigned char> images, labels_raw;
  if (!ReadGz(dir + "/t10k-images-idx3-ubyte.gz", &images) ||
      !ReadGz(dir + "/t10k-labels-idx1-ubyte.gz", &labels_raw) ||
      images.size() != 16 + 10000 * 784 || labels_raw.size() != 8 + 10000) {
    std::cerr << "cannot read the Fashion-MNIST test set from " << dir << "\n";
    return 2;
  }
  std::vector<float> data(static_cast<size_t>(n) * 784);
  std::vector<int> labels(n);
  for (int i = 0; i < n; ++i) {
    labels[i] = labels_raw[8 + i];
    for (int d = 0; d < 784; ++d) {
      data[static_cast<size_t>(i) * 784 + d] =
          images[16 + static_cast<size_t>(i) * 784 + d] / 255.f;
    }
  }
  kd::tsne::TsneOptions options;
  options.seed = 1;
  options.num_threads = 0;
  options.progress = [](int iteration, double kl) {
    if (iteration % 250 == 0) {
      std::cerr << "iteration " << iteration << " KL " << kl << "\n";
    }
  };
  const auto start = std::chrono::steady_clock::now();
  auto xy = kd::tsne::RunTsne(data, n, 784, options);
  if (!xy.ok()) {
    std::cerr << xy.status() << "\n";
    return 1;
  }
  std::cerr << "t-SNE took "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count()
            << " s\n";
  int agree = 0;
  for (int i = 0; i < n; ++i) {
    std::vector<std::pair<double, int>> d;
    for (int j = 0; j < n; ++j) {
      if (j == i) continue;
      const double dx = (*xy)[i][0] - (*xy)[j][0];
      const double dy = (*xy)[i][1] - (*xy)[j][1];
      d.emplace_back(dx * dx + dy * dy, j);
    }
    std::partial_sort(d.begin(), d.begin() + 10, d.end());
    for (int m = 0; m < 10; ++m) agree += labels[d[m].second] == labels[i];
  }
  std::cerr << "10-NN label agreement in the map: " << agree / (10.0 * n)
            << "\n";
  kd::plot::ScatterOptions scatter;
  scatter.title = "t-SNE of " + std::to_string(n) +
                  " Fashion-MNIST test images (raw pixels)";
  scatter.point_radius = 2.0;
  const absl::Status status = kd::plot::WriteScatterPng(
      argv[2], *xy, labels,
      {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
       "Sneaker", "Bag", "Ankle boot"},
      scatter);
  if (!status.ok()) {
    std::cerr << status << "\n";
    return 1;
  }
  return 0;
}
