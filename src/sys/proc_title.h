// The process title shown by ps and top, as gunicorn sets it through
// setproctitle: "qilin: master [myapp]", "qilin: worker [myapp]". The title
// is written over the original argv area (the environment strings after it
// are moved to the heap first, so the area can be reused whole), and the
// kernel's short comm name is set too. Call init once from main() before any
// thread starts; set from the process that owns the title.
#pragma once

#include <string_view>

namespace qilin::sys {

void init_proc_title(int argc, char** argv);
void set_proc_title(std::string_view title);

}  // namespace qilin::sys
