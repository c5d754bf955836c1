# influx-py interpreter probe. Runs on CPython 3.6 .. 3.13 (and PyPy) with
# -I, imports neither pip nor packaging, and prints one JSON object, on a line
# of its own after the marker, with the facts influx-py needs about the
# interpreter: tag computation inputs, venv layout and PEP 508 markers.
import json
import os
import platform
import struct
import sys
import sysconfig

SCHEMA = 2
MARKER = "influx-py-probe:"


def config_flag(name):
    value = sysconfig.get_config_var(name)
    return None if value is None else bool(value)


def config_str(name):
    value = sysconfig.get_config_var(name)
    return None if value is None else str(value)


def elf_header(path):
    """The ELF header fields tag computation looks at, or None."""
    try:
        with open(path, "rb") as f:
            ident = f.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return None
            cls, data = ident[4], ident[5]
            if cls not in (1, 2) or data not in (1, 2):
                return None
            end = "<" if data == 1 else ">"
            if cls == 1:
                fmt, phfmt = end + "HHIIIIIHHH", end + "IIIII"
            else:
                fmt, phfmt = end + "HHIQQQIHHH", end + "IIQQQQ"
            rest = f.read(struct.calcsize(fmt))
            (_, machine, _, _, phoff, _, flags, _, phentsize, phnum) = struct.unpack(fmt, rest)
            interp = None
            need = struct.calcsize(phfmt)
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                ph = f.read(phentsize)
                if len(ph) < need or phentsize < need:
                    break
                fields = struct.unpack(phfmt, ph[:need])
                if fields[0] != 3:  # PT_INTERP
                    continue
                offset, size = (fields[1], fields[4]) if cls == 1 else (fields[2], fields[5])
                f.seek(offset)
                interp = f.read(size).split(b"\0", 1)[0].decode("utf-8", "replace")
                break
            return {"class": cls, "data": data, "machine": machine, "flags": flags, "interpreter": interp}
    except (OSError, ValueError, struct.error):
        return None


def glibc_version():
    try:
        value = os.confstr("CS_GNU_LIBC_VERSION")
        if value:
            parts = value.split()
            if len(parts) == 2:
                return parts[1]
    except (AttributeError, OSError, ValueError):
        pass
    try:
        import ctypes

        lib = ctypes.CDLL(None)
        fn = lib.gnu_get_libc_version
        fn.restype = ctypes.c_char_p
        value = fn()
        if isinstance(value, bytes):
            value = value.decode("ascii")
        return value
    except Exception:
        return None


def musl_version(loader):
    # The musl loader prints its version when run without arguments; this is
    # the only subprocess of the probe on Linux, and only on musl systems.
    import subprocess

    try:
        proc = subprocess.run([loader], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [l.strip() for l in proc.stderr.splitlines() if l.strip()]
    if len(lines) < 2 or not lines[0].startswith("musl"):
        return None
    words = lines[1].split()
    if len(words) >= 2 and words[0] == "Version":
        return words[1]
    return None


def libc(elf):
    if not sys.platform.startswith("linux"):
        return None
    version = glibc_version()
    if version:
        return {"name": "glibc", "version": version}
    loader = (elf or {}).get("interpreter") or ""
    if "musl" in loader:
        version = musl_version(loader)
        if version:
            return {"name": "musl", "version": version}
    return None


def linux_archs(is_64bit):
    plat = sysconfig.get_platform().replace(".", "_").replace("-", "_").replace(" ", "_")
    if not plat.startswith("linux_"):
        return []
    if not is_64bit:
        plat = {"linux_x86_64": "linux_i686", "linux_aarch64": "linux_armv8l"}.get(plat, plat)
    arch = plat.split("_", 1)[1]
    return ["armv8l", "armv7l"] if arch == "armv8l" else [arch]


def manylinux_override(archs, glibc):
    """Verdicts of a _manylinux module (PEP 600), keyed by platform tag."""
    if not glibc:
        return None
    try:
        import _manylinux
    except ImportError:
        return None
    try:
        major, minor = [int(x) for x in glibc.split(".")[:2]]
    except ValueError:
        return None
    legacy = {(2, 5): "manylinux1_compatible", (2, 12): "manylinux2010_compatible",
              (2, 17): "manylinux2014_compatible"}
    out = {}
    for arch in archs:
        for ma in range(major, 1, -1):
            for mi in range(minor if ma == major else 50, -1, -1):
                verdict = None
                if hasattr(_manylinux, "manylinux_compatible"):
                    verdict = _manylinux.manylinux_compatible(ma, mi, arch)
                elif (ma, mi) in legacy and hasattr(_manylinux, legacy[(ma, mi)]):
                    verdict = getattr(_manylinux, legacy[(ma, mi)])
                if verdict is not None:
                    out["manylinux_%d_%d_%s" % (ma, mi, arch)] = bool(verdict)
    return out


def mac_version():
    if platform.system() != "Darwin":
        return None
    release = platform.mac_ver()[0]
    if release.split(".")[:2] == ["10", "16"]:
        # Built against an old SDK, Python sees macOS 11+ as 10.16; ask again
        # without the compatibility shim, as packaging does.
        import subprocess

        release = subprocess.run(
            [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
            check=True, env={"SYSTEM_VERSION_COMPAT": "0"}, stdout=subprocess.PIPE,
            universal_newlines=True).stdout.strip()
    return release


def venv_paths():
    """Where a venv made by this interpreter puts things, relative to its root."""
    names = sysconfig.get_scheme_names()
    if "venv" in names:
        scheme = "venv"
    elif os.name == "nt":
        scheme = "nt"
    else:
        scheme = "posix_prefix"
    root = os.path.join(os.path.abspath(os.sep), "influx-py-venv-root")
    paths = sysconfig.get_paths(scheme=scheme, vars={"base": root, "platbase": root})
    out = {"scheme": scheme}
    for key in ("purelib", "platlib", "scripts", "data"):
        rel = os.path.relpath(paths[key], root)
        out[key] = rel.replace(os.sep, "/")
    return out


def has_module(name):
    try:
        import importlib.util

        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def pip_wheels():
    """pip wheels that come with the interpreter, to seed a venv offline: the
    ones ensurepip bundles, and Debian's (python3-venv installs pip from
    /usr/share/python-wheels)."""
    import glob

    found = []
    try:
        import importlib.util

        spec = importlib.util.find_spec("ensurepip")
        if spec is not None and spec.origin:
            bundled = os.path.join(os.path.dirname(spec.origin), "_bundled")
            found.extend(sorted(glob.glob(os.path.join(bundled, "pip-*.whl"))))
    except (ImportError, ValueError):
        pass
    found.extend(sorted(glob.glob("/usr/share/python-wheels/pip-*.whl")))
    return found


def version_dict(info):
    return {"major": info.major, "minor": info.minor, "micro": info.micro,
            "releaselevel": info.releaselevel, "serial": info.serial}


def full_version(info):
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def markers():
    # PEP 508's environment, computed the way the specification (and
    # packaging.markers.default_environment) says.
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def optional(fn, *args):
    try:
        return fn(*args)
    except Exception:
        return None


def main():
    from importlib.machinery import EXTENSION_SUFFIXES

    is_64bit = sys.maxsize > 2 ** 32
    elf = optional(elf_header, sys.executable) if sys.platform.startswith("linux") else None
    c = optional(libc, elf)
    system = platform.system()
    ios = None
    if system == "iOS" and hasattr(platform, "ios_ver"):
        ios = platform.ios_ver()[1]
    android = None
    if system == "Android" and hasattr(platform, "android_ver"):
        android = platform.android_ver().api_level
    out = {
        "schema": SCHEMA,
        "executable": sys.executable,
        "real_executable": os.path.realpath(sys.executable),
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "version": platform.python_version(),
        "version_info": version_dict(sys.version_info),
        "implementation_name": sys.implementation.name,
        "implementation_version": version_dict(sys.implementation.version),
        "abiflags": getattr(sys, "abiflags", None),
        "soabi": config_str("SOABI"),
        "ext_suffix": config_str("EXT_SUFFIX"),
        "extension_suffixes": list(EXTENSION_SUFFIXES),
        "py_debug": config_flag("Py_DEBUG"),
        "py_gil_disabled": config_flag("Py_GIL_DISABLED"),
        "with_pymalloc": config_flag("WITH_PYMALLOC"),
        "has_gettotalrefcount": hasattr(sys, "gettotalrefcount"),
        "py_version_nodot": config_str("py_version_nodot"),
        "platform": sysconfig.get_platform(),
        "system": system,
        "machine": platform.machine(),
        "is_64bit": is_64bit,
        "libc": c,
        "elf": elf,
        "manylinux_override": optional(manylinux_override, linux_archs(is_64bit),
                                       c and c["name"] == "glibc" and c["version"]),
        "mac_version": mac_version(),
        "ios_version": ios,
        "multiarch": getattr(sys.implementation, "_multiarch", None),
        "android_api_level": android,
        "emscripten_version": config_str("PYEMSCRIPTEN_PLATFORM_VERSION"),
        "venv_paths": venv_paths(),
        "has_venv": has_module("venv"),
        "has_ensurepip": has_module("ensurepip"),
        "pip_wheels": optional(pip_wheels) or [],
        "markers": markers(),
    }
    sys.stdout.write("\n" + MARKER + json.dumps(out, sort_keys=True) + "\n")
    sys.stdout.flush()


main()
