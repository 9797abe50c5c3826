#include "kd/train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kd {

bool ProgressReporter::IsTerminal(FILE* stream) {
  return isatty(fileno(stream)) != 0;
}

void ProgressReporter::StartEpoch(int64_t epoch, int64_t epochs,
                                  int64_t steps) {
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = std::max<int64_t>(steps, 1);
  images_ = 0;
  next_plain_ = std::max<int64_t>(steps_ / 10, 1);
  start_ = std::chrono::steady_clock::now();
}

std::string ProgressReporter::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600)
    return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%02d:%02d", s / 60, s % 60);
}

std::string ProgressReporter::Line(
    int64_t step, const std::vector<std::pair<std::string, double>>& terms,
    double images_per_s, double eta_s) const {
  std::string line = absl::StrFormat("epoch %d/%d ", epoch_, epochs_);
  if (tty_) {
    constexpr int kWidth = 20;
    const int filled = static_cast<int>(kWidth * step / steps_);
    absl::StrAppend(&line, "[", std::string(filled, '#'),
                    std::string(kWidth - filled, '.'), "] ");
  }
  absl::StrAppend(&line, absl::StrFormat("%d/%d", step, steps_));
  for (const auto& [name, value] : terms) {
    absl::StrAppend(&line, absl::StrFormat(" %s %.4g", name, value));
  }
  absl::StrAppend(&line, absl::StrFormat(" | %.0f img/s | ETA %s", images_per_s,
                                         FormatDuration(eta_s)));
  return line;
}

void ProgressReporter::Step(
    int64_t step, int64_t images,
    const std::vector<std::pair<std::string, double>>& terms) {
  if (out_ == nullptr) return;
  images_ += images;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  const double ips = elapsed > 0 ? images_ / elapsed : 0;
  const double eta = step > 0 ? elapsed / step * (steps_ - step) : -1;
  if (tty_) {
    std::fprintf(out_, "\r\033[K%s", Line(step, terms, ips, eta).c_str());
    std::fflush(out_);
    drawn_ = true;
  } else if (step >= next_plain_ || step == steps_) {
    std::fprintf(out_, "%s\n", Line(step, terms, ips, eta).c_str());
    std::fflush(out_);
    next_plain_ = step + std::max<int64_t>(steps_ / 10, 1);
  }
}

void ProgressReporter::Finish() {
  if (out_ != nullptr && tty_ && drawn_) {
    std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
  }
  drawn_ = false;
}

}  // namespace kd
