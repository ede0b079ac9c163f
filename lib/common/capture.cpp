#include "common/capture.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace c10m {

StderrCapture::StderrCapture() {
    std::fflush(stderr);
    char path[] = "/tmp/c10m-stderr-XXXXXX";
    tmp_ = mkstemp(path);
    if (tmp_ < 0) return;
    unlink(path);
    saved_ = dup(2);
    if (saved_ < 0 || dup2(tmp_, 2) < 0) {
        close(tmp_);
        tmp_ = -1;
    }
}

std::string StderrCapture::finish() {
    std::string text;
    if (tmp_ < 0) return text;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
    if (lseek(tmp_, 0, SEEK_SET) == 0) {
        char buf[4096];
        ssize_t n;
        while ((n = read(tmp_, buf, sizeof buf)) > 0)
            text.append(buf, static_cast<size_t>(n));
    }
    close(tmp_);
    tmp_ = -1;
    std::fputs(text.c_str(), stderr);
    return text;
}

StderrCapture::~StderrCapture() {
    finish();
}

std::string line_after(const std::string &log, const std::string &key) {
    const auto k = log.find(key);
    if (k == std::string::npos) return "";
    const auto start = k + key.size();
    return log.substr(start, log.find('\n', start) - start);
}

}  // namespace c10m
