#include "sys/proc_title.h"

#include <unistd.h>

#include <cstdlib>
#include <algorithm>
#include <cstring>

extern char** environ;

namespace qilin::sys {

namespace {
char* g_area = nullptr;  // start of argv[0]
size_t g_area_size = 0;  // argv and environ strings, contiguous
}  // namespace

void init_proc_title(int argc, char** argv) {
  if (argc <= 0 || !argv || !argv[0]) return;
  char* end = argv[0] + std::strlen(argv[0]) + 1;
  for (int i = 1; i < argc; ++i) {
    if (argv[i] != end) break;  // not contiguous: only what we have so far
    end = argv[i] + std::strlen(argv[i]) + 1;
  }
  // The environment strings usually follow argv; move them to the heap so
  // their space can hold a longer title.
  size_t count = 0;
  while (environ && environ[count]) ++count;
  if (count > 0 && environ[0] == end) {
    char** moved = static_cast<char**>(std::malloc((count + 1) * sizeof(char*)));
    if (moved) {
      for (size_t i = 0; i < count; ++i) {
        if (environ[i] == end) end = environ[i] + std::strlen(environ[i]) + 1;
        moved[i] = strdup(environ[i]);
      }
      moved[count] = nullptr;
      environ = moved;  // the old block is never freed: it is argv's area now
    }
  }
  g_area = argv[0];
  g_area_size = size_t(end - argv[0]);
}

void set_proc_title(std::string_view title) {
  // The kernel's comm name stays "qilin", so `ps -C qilin` and `pkill qilin`
  // keep finding the processes; ps's args column shows the title.
  if (!g_area || g_area_size < 2) return;
  size_t n = std::min(title.size(), g_area_size - 1);
  std::memcpy(g_area, title.data(), n);
  std::memset(g_area + n, 0, g_area_size - n);
}

}  // namespace qilin::sys
