// libFuzzer target: the command line and the INI file parser. The input's first
// byte picks which; the rest is either an argument vector (NUL-separated) or an INI
// file's text. The parsers may only return or throw UsageError (one line).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/options.hpp"

using namespace c10m;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096) return 0;
    const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
    try {
        if (data[0] & 1) {
            std::vector<std::string> args;
            size_t start = 0;
            for (size_t i = 0; i <= text.size(); ++i)
                if (i == text.size() || text[i] == '\0') {
                    args.emplace_back(text.substr(start, i - start));
                    start = i + 1;
                }
            // --config-file would read a file of the fuzzer's choosing: not here.
            for (const auto &a : args)
                if (a.find("config-file") != std::string::npos) return 0;
            (void)config::parse_app_args(args);
        } else if (data[0] & 2) {
            (void)config::parse_queue_map(text);
        } else {
            // Every line becomes one "--name[=value]" of a known option; a file never
            // names another file.
            const auto args = config::config_file_args(text, "fuzz.ini");
            for (const auto &a : args)
                if (a.rfind("--", 0) != 0 || a.rfind("--config-file", 0) == 0) std::abort();
        }
    } catch (const UsageError &e) {
        const std::string msg = e.what();
        if (msg.empty()) std::abort();
    }
    return 0;
}
