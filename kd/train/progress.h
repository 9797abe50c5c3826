// Progress of one epoch: on a terminal a bar redrawn in place with the loss
// terms, images/s and ETA; otherwise a plain line every `plain_every`
// fraction of the epoch (logs stay readable in files). Torch-free.
#ifndef KD_TRAIN_PROGRESS_H_
#define KD_TRAIN_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace kd {

class ProgressReporter {
 public:
  // `tty`: draw a bar (else plain lines). `stream` is normally stderr;
  // nullptr: silent (the ranks of a data-parallel run other than 0).
  ProgressReporter(bool tty, FILE* stream = stderr) : tty_(tty), out_(stream) {}

  // True if `stream` is an interactive terminal.
  static bool IsTerminal(FILE* stream);

  void StartEpoch(int64_t epoch, int64_t epochs, int64_t steps);
  // After each step: running means of the loss terms, images in the step.
  void Step(int64_t step, int64_t images,
            const std::vector<std::pair<std::string, double>>& terms);
  // Clears the bar (call before printing anything else).
  void Finish();

  // "1:02:03" / "02:03".
  static std::string FormatDuration(double seconds);
  // The text of the bar or plain line (without the carriage return).
  std::string Line(int64_t step,
                   const std::vector<std::pair<std::string, double>>& terms,
                   double images_per_s, double eta_s) const;

 private:
  bool tty_;
  FILE* out_;
  int64_t epoch_ = 0, epochs_ = 0, steps_ = 0, images_ = 0;
  int64_t next_plain_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace kd

#endif  // KD_TRAIN_PROGRESS_H_
