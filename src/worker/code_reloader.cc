#include "worker/code_reloader.h"

#include <glob.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace qilin::worker {

namespace {

// IN_ATTRIB too: a `touch` or an mtime bump reloads, as it does when polling.
constexpr uint32_t kEvents =
    IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVED_TO | IN_CREATE | IN_DELETE;

bool is_pattern(const std::string& entry) {
  return entry.find_first_of("*?[") != std::string::npos;
}

// The mtime in ns, or -1 when the file cannot be examined (gone, for now).
int64_t mtime_ns(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

std::vector<std::string> expand(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

}  // namespace

std::string source_path(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(path, ec);
  if (ec) p = path;
  std::string text = p.lexically_normal().string();
  // gunicorn's COMPILED_EXT_RE: a .pyc or .pyo module is watched as its .py.
  if (text.size() > 4 && (text.ends_with(".pyc") || text.ends_with(".pyo"))) text.pop_back();
  return text;
}

Result<std::unique_ptr<CodeReloader>> CodeReloader::create(const std::string& engine,
                                                           std::vector<std::string> extra,
                                                           FileLister list_modules) {
  std::unique_ptr<CodeReloader> r(new CodeReloader(std::move(extra), std::move(list_modules)));
  if (engine != "poll") {
    r->inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!r->inotify_.valid() && engine == "inotify") {
      return Result<std::unique_ptr<CodeReloader>>::error(
          std::string("reload_engine 'inotify': cannot start inotify: ") + std::strerror(errno));
    }
  }
  r->refresh();
  return r;
}

void CodeReloader::add_file(const std::string& path) {
  watch_file(source_path(path));
}

void CodeReloader::watch_file(const std::string& path) {
  if (!files_.insert(path).second) return;
  if (!inotify_.valid()) {
    mtimes_[path] = mtime_ns(path);  // the baseline
    return;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty() || watched_dirs_.count(dir)) return;
  watched_dirs_.insert(dir);  // tried once: a missing directory is not retried
  int wd = ::inotify_add_watch(inotify_.get(), dir.c_str(), kEvents | IN_ONLYDIR);
  if (wd >= 0) dirs_[wd] = dir;
}

void CodeReloader::refresh() {
  for (const std::string& path : list_modules_()) watch_file(source_path(path));
  for (const std::string& entry : extra_) {
    if (!is_pattern(entry)) {
      watch_file(source_path(entry));
      continue;
    }
    for (const std::string& path : expand(entry)) watch_file(source_path(path));
  }
}

std::optional<std::string> CodeReloader::on_readable() {
  alignas(inotify_event) char buf[16 * 1024];
  std::optional<std::string> changed;
  while (true) {
    ssize_t n = ::read(inotify_.get(), buf, sizeof(buf));
    if (n <= 0) break;  // EAGAIN: drained
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<inotify_event*>(p);
      p += sizeof(inotify_event) + ev->len;
      if (changed || ev->len == 0) continue;
      auto dir = dirs_.find(ev->wd);
      if (dir == dirs_.end()) continue;
      std::string path = dir->second + "/" + ev->name;
      if (files_.count(path)) changed = path;
    }
  }
  return changed;
}

std::optional<std::string> CodeReloader::poll() {
  for (auto& [path, seen] : mtimes_) {
    const int64_t now = mtime_ns(path);
    // A file that is gone is skipped, keeping the time last seen (an editor
    // may be replacing it): when it comes back with another time, that is
    // the change. One never seen before gets its baseline.
    if (now < 0 || now == seen) continue;
    const bool baseline = seen < 0;
    seen = now;
    if (!baseline) return path;
  }
  return std::nullopt;
}

std::optional<std::string> CodeReloader::on_tick() {
  refresh();
  if (inotify_.valid()) return std::nullopt;
  return poll();
}

}  // namespace qilin::worker
