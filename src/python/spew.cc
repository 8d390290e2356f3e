#include "python/spew.h"

#include "python/interpreter.h"
#include "python/py_ref.h"

namespace qilin::python {

namespace {

const char kSpewSource[] = R"PY(
import linecache, re, sys

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

def _value(v):
    try:
        return repr(v)
    except Exception as e:
        return "<repr failed: %s>" % type(e).__name__

def trace(frame, event, arg):
    if event != "line":
        return trace
    name = frame.f_globals.get("__name__", "[unknown]")
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).rstrip()
    out = "%s:%s: %s\n" % (name, frame.f_lineno, line)
    values = []
    for token in dict.fromkeys(_NAME.findall(line)):
        if token in frame.f_globals:
            values.append("%s=%s" % (token, _value(frame.f_globals[token])))
        if token in frame.f_locals:
            values.append("%s=%s" % (token, _value(frame.f_locals[token])))
    if values:
        out += "\t%s\n" % " ".join(values)
    sys.stdout.write(out)
    sys.stdout.flush()
    return trace
)PY";

}  // namespace

bool prepare_spew() {
  if (embedded_module("_qilin_spew", kSpewSource)) return true;
  PyErr_Print();
  return false;
}

bool start_spew() {
  PyRef module = embedded_module("_qilin_spew", kSpewSource);
  PyRef tracer = module ? PyRef::steal(PyObject_GetAttrString(module.get(), "trace")) : PyRef();
  PyRef sys = tracer ? PyRef::steal(PyImport_ImportModule("sys")) : PyRef();
  PyRef done = sys ? PyRef::steal(PyObject_CallMethod(sys.get(), "settrace", "O", tracer.get())) : PyRef();
  if (!done) {
    PyErr_Print();
    return false;
  }
  return true;
}

}  // namespace qilin::python
