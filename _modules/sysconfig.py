"""
Read and edit SUSE ``/etc/sysconfig`` files.

A sysconfig file is read by three programs: shell scripts ``source`` it,
systemd reads it through ``EnvironmentFile=``, and YaST edits it using the
``## Type:``/``## Default:`` metadata in its comments. This module reads a
file the way bash does, reports that metadata, and changes one variable's
assignment at a time, leaving every other byte of the file as it was.

:depends: this extension's ``docker_host_files.replace`` for writes (the one writer
    of the extension's files); reading needs nothing beyond the standard library.
:configuration: none. Every function takes ``root`` to work on an alternative
    root directory (an image root being built, or a test sandbox).

Why it is written by hand: Salt's ``file.keyvalue`` and ``file.replace``
treat the file as text and quote naively, and no maintained library parses
shell-variable files the way bash reads them while keeping the file byte for
byte. What this module evaluates:

- single quotes, double quotes with their backslash escapes, backslash
  escapes and line continuations outside quotes, and the concatenation of
  these in one word;
- ``$NAME`` and ``${NAME}`` references to variables set earlier in the same
  file;
- several assignments on one line, ``;`` separators, ``export``, comments.

Anything whose value would depend on running something or on the reader's
environment (command substitution, arithmetic, other parameter expansions,
tilde expansion, a reference to a variable the file does not set, a line
that runs a command) is reported as an error naming the file and line,
never guessed at.

Names are absolute paths or paths relative to ``/etc/sysconfig``
(``docker``, ``SuSEfirewall2``, ``network/config``).
"""

import contextlib
import dataclasses
import difflib
import errno
import fcntl
import ipaddress
import os
import re
import stat
import warnings

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "sysconfig"
__func_alias__ = {"set_": "set"}

SYSCONFIG_DIR = "/etc/sysconfig"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NAME_RE = re.compile(_NAME + r"\Z")


def __virtual__():
    return __virtualname__


# --------------------------------------------------------------------------
# Locating the file
# --------------------------------------------------------------------------


def _path(name, root=None):
    """Return the file's path on this host, with ``root`` applied."""
    if not isinstance(name, str) or not name.strip():
        raise SaltInvocationError(
            "name must be a sysconfig file: an absolute path or a path under "
            f"{SYSCONFIG_DIR} such as 'docker'; got {name!r}"
        )
    if os.path.isabs(name):
        path = os.path.normpath(name)
    else:
        path = os.path.normpath(os.path.join(SYSCONFIG_DIR, name))
        if not path.startswith(SYSCONFIG_DIR + os.sep):
            raise SaltInvocationError(
                f"name {name!r} leaves {SYSCONFIG_DIR}; give an absolute path instead"
            )
    if image_root(root) is None:
        return path
    return os.path.join(os.path.abspath(root), path.lstrip(os.sep))


def image_root(root=None):
    """
    Return the image root that ``root`` names, or ``None`` when it names the
    live system: ``None``, ``""`` and every spelling of ``/`` (``//``,
    ``/.``). Every module of this extension decides "this machine or an
    image root" through this, so that no spelling of ``/`` is taken for an
    image somewhere and for the live system elsewhere.

    CLI Example:

    .. code-block:: bash

        salt '*' sysconfig.image_root /srv/image-root
    """
    if root is None or root == "":
        return None
    if not isinstance(root, str):
        raise SaltInvocationError(f"root must be a path, not {root!r}")
    return None if os.path.normpath(root) in ("/", "//") else root


# Linux follows at most 40 symbolic links while it resolves one path (MAXSYMLINKS).
_MAX_LINKS = 40


def _follow_link(path, root):
    """Resolve symlinks in ``path`` as they resolve inside ``root``.

    Without a root the final link is followed (so that a write replaces the
    link's target, not the link). With one, every component is resolved
    inside it: an absolute link in an image root points into the image,
    never at the host.
    """
    if image_root(root) is None:
        for _ in range(_MAX_LINKS + 1):
            target = _link_target(path)
            if target is None:
                return path
            path = os.path.normpath(os.path.join(os.path.dirname(path), target))
        raise CommandExecutionError(f"{path}: too many levels of symbolic links")
    base = os.path.abspath(root)
    pending = os.path.relpath(path, base).split(os.sep)
    resolved, hops = [], 0
    while pending:
        part = pending.pop(0)
        # relpath() and the filter below leave no empty parts, only ".".
        if part == ".":
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        target = _link_target(os.path.join(base, *resolved, part))
        if target is not None:
            hops += 1
            if hops > _MAX_LINKS:
                raise CommandExecutionError(f"{path}: too many levels of symbolic links")
            if os.path.isabs(target):
                resolved = []
            pending = [p for p in target.split("/") if p] + pending
            continue
        resolved.append(part)
    return os.path.join(base, *resolved)


def _link_target(path):
    """The target of the link ``path``, or None when it is no link (or nothing) now:
    one readlink, so that a link swapped in or out meanwhile is never half seen."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def resolve(path, root=None, follow_last=True):
    """
    Return where the absolute ``path`` really is under the image root
    ``root``: every symbolic link resolved inside the root, as a process
    chrooted there would see it, so that an absolute link (``/var/run ->
    /run``) never leads to the host. Without a root, ``path`` itself.
    With ``follow_last=False`` the last component stays as it is (a link is
    the link, as ``lstat`` sees it); only the directories are resolved.

    Every module of this extension that writes under a root finds its files
    through this.

    CLI Example:

    .. code-block:: bash

        salt '*' sysconfig.resolve /var/run/docker.sock root=/srv/image-root
        salt '*' sysconfig.resolve /etc/docker/key.json root=/srv/image-root follow_last=False
    """
    if not os.path.isabs(str(path)):
        raise SaltInvocationError(f"{path!r} is not an absolute path")
    if image_root(root) is None:
        return path
    if not follow_last:
        parent, last = os.path.split(path)
        return os.path.join(resolve(parent, root), last)
    return _follow_link(os.path.join(os.path.abspath(root), path.lstrip("/")), root)


def _os_error(path, err, action):
    """Turn an OSError into a message that says what to do."""
    if err.errno == errno.ENOENT:
        return CommandExecutionError(
            f"{path} does not exist. Check the name (relative names are taken "
            f"under {SYSCONFIG_DIR}) or install the package that provides it."
        )
    if err.errno in (errno.EACCES, errno.EPERM):
        return CommandExecutionError(
            f"cannot {action} {path}: permission denied. Run this as root."
        )
    if err.errno == errno.EISDIR:
        return CommandExecutionError(f"{path} is a directory, not a sysconfig file")
    return CommandExecutionError(f"cannot {action} {path}: {err.strerror}")


def _check_regular(path, st):
    if stat.S_ISDIR(st.st_mode):
        raise CommandExecutionError(f"{path} is a directory, not a sysconfig file")
    if not stat.S_ISREG(st.st_mode):
        raise CommandExecutionError(f"{path} is not a regular file")


def _open_regular(path, action):
    """A descriptor of the regular file ``path``, opened without blocking: a FIFO,
    socket or device in its place is refused before anything waits on it (the
    grain reads these files at every minion start)."""
    try:
        _check_regular(path, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise _os_error(path, err, action) from err
    try:
        _check_regular(path, os.fstat(fd))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read(path):
    """Return the text of ``path``; bytes that are not UTF-8 survive a round trip."""
    fd = _open_regular(path, "read")
    try:
        return _read_fd(path, fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------
# Parsing: what bash sees
# --------------------------------------------------------------------------


class _ParseError(Exception):
    """What bash would refuse or read otherwise: ``_ParseError(line, message)``."""

    @property
    def line(self):
        return self.args[0]

    @property
    def message(self):
        return self.args[1]


@dataclasses.dataclass
class _Assignment:
    key: str
    value: str
    start: int  # offset of the key in the text
    line: int  # 1-based line of the key
    end_line: int  # 1-based line where the value ends
    value_start: int  # offsets of the right-hand side in the text
    value_end: int
    style: str  # '"', "'", "" (bare) or "mixed": how the right-hand side is quoted


# Most lines of a real sysconfig file are comments, blank lines or a simple
# KEY="value": this pattern takes those whole, and everything else goes
# through the character-level scanner below, which gives the same answer.
_FAST = re.compile(
    r"(?P<gap>(?:[ \t]*(?:#[^\n]*)?(?:\n|\Z))+)"
    rf"|[ \t]*(?P<key>{_NAME})="
    r"(?P<value>\"[^\"\\$`\n]*\"|'[^'\n]*'|[^ \t\n\r\f\v\"'\\$`;&|<>()~]*)"
    r"(?:[ \t]+(?:#[^\n]*)?)?(?:\n|\Z)"
)
_NAME_AT = re.compile(_NAME)
_ASSIGN_PREFIX = re.compile(f"({_NAME})=")
_PLAIN_RUN = re.compile(r"[^ \t\n;&|<>()'\"\\$`~:]+")
_DQ_RUN = re.compile(r"[^\"\\$`]+")
_SPECIAL_PARAMS = "0123456789@*#?$!-"
_BASH_READONLY = {"UID", "EUID", "PPID", "BASHOPTS", "SHELLOPTS", "BASH_VERSINFO"}


class _Scanner:
    """Character-level reader for the lines the fast pattern does not take."""

    def __init__(self, text, env):
        self.text = text
        self.env = env

    def line_at(self, pos):
        return self.text.count("\n", 0, pos) + 1

    def fail(self, pos, message):
        raise _ParseError(self.line_at(pos), message)

    def expand(self, pos, quoted=False):
        """Evaluate a ``$`` at ``pos``; return (text, new position)."""
        text = self.text
        nxt = text[pos + 1 : pos + 2]  # "" at the end of the text
        if text.startswith("\\\n", pos + 1):
            self.fail(pos, "a line continuation right after $ is not evaluated")
        if nxt == "{":
            close = text.find("}", pos + 2)
            inner = text[pos + 2 : close]
            if close == -1 or not _NAME_RE.match(inner):
                self.fail(
                    pos,
                    "only $NAME and ${NAME} are evaluated; this parameter "
                    "expansion depends on the shell that reads the file",
                )
            return self.lookup(pos, inner), close + 1
        if nxt == "(":
            self.fail(pos, "command substitution $(...) would run a program when sourced")
        if nxt == "[":
            self.fail(pos, "arithmetic $[...] is not evaluated")
        name = _NAME_AT.match(text, pos + 1)
        if name:
            if text.startswith("\\\n", name.end()):
                self.fail(pos, "a line continuation inside a variable reference is not evaluated")
            return self.lookup(pos, name.group(0)), name.end()
        if nxt and nxt in _SPECIAL_PARAMS:
            self.fail(pos, f"${nxt} depends on the shell that reads the file")
        if nxt in ("'", '"') and not quoted:
            self.fail(pos, f"${nxt}...{nxt} quoting is bash-specific and not evaluated")
        return "$", pos + 1

    def lookup(self, pos, name):
        if name not in self.env:
            self.fail(
                pos,
                f"${name} is not set earlier in the file, so its value depends on "
                "the environment of whoever reads the file",
            )
        return self.env[name]

    def single_quoted(self, pos):
        close = self.text.find("'", pos + 1)
        if close == -1:
            self.fail(pos, "unterminated single quote")
        return self.text[pos + 1 : close], close + 1

    def double_quoted(self, pos):
        text, out = self.text, []
        start, pos = pos, pos + 1
        while True:
            run = _DQ_RUN.match(text, pos)
            if run:
                out.append(run.group(0))
                pos = run.end()
            if pos >= len(text):
                self.fail(start, "unterminated double quote")
            char = text[pos]
            if char == '"':
                return "".join(out), pos + 1
            if char == "\\":
                nxt = text[pos + 1 : pos + 2]
                if nxt in ('"', "\\", "$", "`"):
                    out.append(nxt)
                elif nxt != "\n":
                    out.append("\\" + nxt)
                pos += 2
            elif char == "$":
                value, pos = self.expand(pos, quoted=True)
                out.append(value)
            else:
                self.fail(pos, "command substitution `...` would run a program when sourced")

    def word(self, pos):
        """Read one word; return (value, end, style)."""
        text, out, kinds = self.text, [], []
        tilde_expands = True  # at the start of the value, and after an unquoted ':'
        while pos < len(text):
            char = text[pos]
            if char in " \t\n;&|<>()":
                break
            if char == "~" and tilde_expands:
                self.fail(pos, "tilde expansion depends on the home directory of the reader")
            if char == "\\" and text.startswith("\\\n", pos):
                pos += 2  # a line continuation: removed, and nothing else changes
                kinds.append("\\")
                continue
            tilde_expands = char == ":"
            if char == "'":
                value, pos = self.single_quoted(pos)
                out.append(value)
                kinds.append("'")
            elif char == '"':
                value, pos = self.double_quoted(pos)
                out.append(value)
                kinds.append('"')
            elif char == "\\":
                out.append(text[pos + 1 : pos + 2] or "\\")
                kinds.append("\\")
                pos += 2
            elif char == "$":
                value, pos = self.expand(pos)
                out.append(value)
                kinds.append("$")
            elif char == "`":
                self.fail(pos, "command substitution `...` would run a program when sourced")
            elif char in "~:":
                out.append(char)
                pos += 1
            else:
                run = _PLAIN_RUN.match(text, pos)
                out.append(run.group(0))
                pos = run.end()
        if not kinds:
            style = ""
        elif len(kinds) == 1 and kinds[0] in ("'", '"'):
            style = kinds[0]
        else:
            style = "mixed"
        return "".join(out), pos, style

    def command_line(self, pos):
        """Read commands up to the end of the line; return (assignments, end)."""
        text, found = self.text, []
        words = []  # each: (kind, payload) where kind is "assign" or "word"
        deferred = {}  # export's arguments are all expanded before it assigns
        while True:
            while pos < len(text) and (text[pos] in " \t" or text.startswith("\\\n", pos)):
                pos += 2 if text[pos] == "\\" else 1
            if pos < len(text) and text[pos] == ";" and not words:
                self.fail(pos, "unexpected ';': bash refuses the whole line")
            if pos >= len(text) or text[pos] in "\n;":
                found.extend(payload for kind, payload in words if kind == "assign")
                self.env.update(deferred)
                words, deferred = [], {}
                if pos >= len(text) or text[pos] == "\n":
                    return found, pos + 1
                pos += 1
                continue
            char = text[pos]
            if char == "#":
                end = text.find("\n", pos)
                pos = len(text) if end == -1 else end
                continue
            if char in "&|<>()":
                self.fail(pos, f"'{char}' makes this line more than a variable assignment")
            prefix = _ASSIGN_PREFIX.match(text, pos)
            if prefix and (
                words == [] or words[0] == ("word", "export") or words[-1][0] == "assign"
            ):
                key = prefix.group(1)
                value_start = prefix.end()
                value, pos, style = self.word(value_start)
                if words and words[0] == ("word", "export"):
                    deferred[key] = value
                else:
                    self.env[key] = value
                assignment = _Assignment(
                    key,
                    value,
                    prefix.start(),
                    self.line_at(prefix.start()),
                    self.line_at(pos),
                    value_start,
                    pos,
                    style,
                )
                words.append(("assign", assignment))
            else:
                word_start = pos
                value, pos, _ = self.word(pos)
                words.append(("word", value))
                if words[0] != ("word", "export"):
                    raise _ParseError(
                        self.line_at(word_start),
                        f"{value!r} runs a command; a sysconfig file may only assign variables",
                    )
                # "export" itself is a name; so must be every word after it.
                if not _NAME_RE.match(value):
                    raise _ParseError(
                        self.line_at(word_start),
                        f"export {value!r}: not a variable name",
                    )


def _parse(text):
    """Return the file's assignments in order, as bash performs them."""
    if "\0" in text:
        raise _ParseError(text.count("\n", 0, text.index("\0")) + 1, "the file holds a NUL byte")
    env = {}
    scanner = None
    assignments = []
    pos, line, end = 0, 1, len(text)
    match_at = _FAST.match
    while pos < end:
        match = match_at(text, pos)
        if match is not None and match.group("gap") is None:
            raw = match.group("value")
            value = raw[1:-1] if raw[:1] in ("'", '"') else raw
            key = match.group("key")
            env[key] = value
            assignments.append(
                _Assignment(
                    key,
                    value,
                    match.start("key"),
                    line,
                    line,
                    match.start("value"),
                    match.end("value"),
                    raw[:1] if raw[:1] in ("'", '"') else "",
                )
            )
            line += 1
            pos = match.end()
        elif match is not None:
            line += text.count("\n", pos, match.end())
            pos = match.end()
        else:
            if scanner is None:
                scanner = _Scanner(text, env)
            found, new_pos = scanner.command_line(pos)
            assignments.extend(found)
            line += text.count("\n", pos, min(new_pos, end))
            pos = new_pos
    for assignment in assignments:
        if assignment.key in _BASH_READONLY:
            raise _ParseError(
                assignment.line, f"{assignment.key} is read-only in bash, which refuses the file"
            )
    return assignments


def _load(path):
    """Read and parse ``path``; return (text, assignments)."""
    text = _read(path)
    return text, _parse_or_raise(path, text)


def _parse_or_raise(path, text):
    try:
        return _parse(text)
    except _ParseError as err:
        raise CommandExecutionError(
            f"{path}, line {err.line}: {err.message}. Fix the file by hand; nothing was changed."
        ) from err


# --------------------------------------------------------------------------
# Metadata: what YaST and fillup read from the comments
# --------------------------------------------------------------------------

_KEYWORDS = {
    word.lower(): word
    for word in (
        "Path",
        "Description",
        "Type",
        "Default",
        "ServiceRestart",
        "ServiceReload",
        "Command",
        "PreSaveCommand",
        "Config",
    )
}
_ACTIONS = ("ServiceRestart", "ServiceReload", "Command", "PreSaveCommand")
_LISTS = ("ServiceRestart", "ServiceReload", "Config")
_META_LINE = re.compile(r"[ \t]*##(?!#)[ \t]*([A-Za-z]+)[ \t]*:[ \t]*(.*?)[ \t]*\Z")


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _region_metadata(lines):
    """Parse the comments before a variable; return (metadata, help, had comments).

    The help text is the last block of plain ``#`` comments, after any
    metadata; ``###`` lines are hidden from it, as YaST hides them.
    """
    meta, help_lines, had_comment, after_blank = {}, [], False, False
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip(" \t")
        index += 1
        if not stripped.startswith("#"):
            after_blank = True
            continue
        had_comment = True
        match = _META_LINE.match(line) if stripped.startswith("##") else None
        if match and match.group(1).lower() in _KEYWORDS:
            value = match.group(2)
            while value.endswith("\\") and index < len(lines):
                nxt = lines[index].lstrip(" \t")
                if not nxt.startswith("##"):
                    break
                value = value[:-1] + nxt[2:].rstrip(" \t")
                index += 1
            meta[_KEYWORDS[match.group(1).lower()]] = value.strip()
            help_lines, after_blank = [], False
        elif not stripped.startswith("##"):
            if after_blank:
                help_lines, after_blank = [], False
            body = stripped[1:]
            help_lines.append(body[1:] if body.startswith(" ") else body)
    while help_lines and not help_lines[0].strip():
        help_lines.pop(0)
    while help_lines and not help_lines[-1].strip():
        help_lines.pop()
    return meta, "\n".join(help_lines), had_comment


def _effective_metadata(own, comment, had_comment, previous, line):
    """Apply the inheritance rules of the sysconfig metadata format."""
    inherited = []
    if previous is not None and not own:
        # No metadata at all: the previous variable's applies (and, with no
        # comment either, its help text too).
        result = dict(previous)  # its own "inherited" and "line" are replaced below
        inherited = [k for k in _KEYWORDS.values() if result.get(k) is not None]
        if had_comment:
            result["comment"] = comment
        else:
            inherited.append("comment")
        result["inherited"] = inherited
        result["line"] = line
        return result

    result = {word: None for word in _KEYWORDS.values()}
    for word, value in own.items():
        if word in _LISTS:
            result[word] = [_unquote(item) for item in _split_choices(value) if item]
        elif word == "Default":
            result[word] = _unquote(value)
        else:
            result[word] = value
    if previous is not None:
        if "Path" not in own and previous.get("Path") is not None:
            result["Path"] = previous["Path"]
            inherited.append("Path")
            if "Description" not in own and previous.get("Description") is not None:
                result["Description"] = previous["Description"]
                inherited.append("Description")
        if not any(word in own for word in _ACTIONS):
            for word in _ACTIONS:
                if previous.get(word) is not None:
                    result[word] = previous[word]
                    inherited.append(word)
    if result["Type"] is None:
        result["Type"] = "string"
    result["comment"] = comment
    result["inherited"] = inherited
    result["line"] = line
    return result


def _describe_all(text, assignments):
    """Return {key: metadata} for the last assignment of every variable."""
    lines = text.split("\n")
    described, previous, prev_end = {}, None, 0
    for assignment in assignments:
        # Empty when the assignment shares the previous one's (last) line.
        region = lines[prev_end : assignment.line - 1]
        own, comment, had_comment = _region_metadata(region)
        previous = _effective_metadata(own, comment, had_comment, previous, assignment.line)
        described[assignment.key] = previous
        prev_end = assignment.end_line
    return described


# --------------------------------------------------------------------------
# Types: what a value may be
# --------------------------------------------------------------------------


def _split_choices(text):
    """Split ``a,b,"c d",`` into its items, honouring double quotes."""
    items, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return items


_POSIX_CLASSES = {
    "[:alpha:]": "A-Za-z",
    "[:digit:]": "0-9",
    "[:alnum:]": "A-Za-z0-9",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:space:]": " \\t\\n\\r\\f\\v",
    "[:blank:]": " \\t",
    "[:punct:]": "!-/:-@\\[-`{-~",
}


def _posix_classes(pattern):
    """Spell POSIX bracket classes (YaST's regexp types are POSIX ERE) for Python."""
    for posix, python in _POSIX_CLASSES.items():
        pattern = pattern.replace(posix, python)
    return pattern


def _type_error(type_spec, value):
    """Return why ``value`` does not fit ``## Type: type_spec``, or None."""
    spec = (type_spec or "string").strip()
    match = re.fullmatch(r"([A-Za-z0-9]+)[ \t]*(?:\((.*)\))?", spec, re.S)
    if not match:
        return None  # an odd type seen in real files: treated as string
    kind, arg = match.group(1).lower(), match.group(2)
    if kind == "list" and arg is not None:
        choices = _split_choices(arg)
        if value not in choices:
            shown = ", ".join(repr(c) for c in choices)
            return f"must be one of {shown}"
        return None
    if value == "":
        # SUSE's templates ship typed variables empty: empty means "the
        # program's built-in default" and is always accepted.
        return None
    if kind == "yesno" and arg is None:
        return None if value in ("yes", "no") else "must be 'yes' or 'no'"
    if kind == "boolean" and arg is None:
        return None if value in ("true", "false") else "must be 'true' or 'false'"
    if kind == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            return "must be an integer"
        if arg is None:
            return None
        bounds = re.fullmatch(r"[ \t]*([+-]?[0-9]*)[ \t]*:[ \t]*([+-]?[0-9]*)[ \t]*", arg)
        if not bounds:
            return None
        low, high = bounds.groups()
        number = int(value)
        if (low and number < int(low)) or (high and number > int(high)):
            return f"must be an integer in {low or '-inf'}..{high or 'inf'}"
        return None
    if kind in ("ip", "ip4", "ip6") and arg is None:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return f"must be an {'IP' if kind == 'ip' else 'IPv' + kind[-1]} address"
        if kind == "ip4" and address.version != 4:
            return "must be an IPv4 address"
        if kind == "ip6" and address.version != 6:
            return "must be an IPv6 address"
        return None
    if kind == "regexp" and arg is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pattern = re.compile(_posix_classes(arg))
        except re.error:
            return None  # not a pattern Python understands: treated as string
        return None if pattern.search(value) else f"must match {arg}"
    return None


def _as_text(key, value, type_spec):
    """Turn a Python value from the CLI, a state or pillar into the file's text."""
    kind = (type_spec or "").strip().lower()
    if isinstance(value, bool):
        if kind == "boolean":
            return "true" if value else "false"
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise SaltInvocationError(
            f"{key}: {value!r} arrived as a number and may have lost digits on the way "
            "(YAML reads 1.10 as 1.1): give it as a quoted string"
        )
    if isinstance(value, str):
        return value
    raise SaltInvocationError(
        f"{key}: a sysconfig value is a string, number or boolean, not "
        f"{type(value).__name__} ({value!r}); join a list into one string"
    )


# --------------------------------------------------------------------------
# Writing a value that all three readers read back the same
# --------------------------------------------------------------------------

_BARE_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+\Z")
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_SHELL_SPECIAL = re.compile(r"[\"\\$`]")
# YaST looks for NAME="..." anywhere in a line before it tries single quotes.
_YAST_DQ_ASSIGNMENT = re.compile(r'[A-Za-z0-9_]+[ \t]*=[ \t]*"[^"]*"')


def _unrepresentable(value):
    """Return why ``value`` cannot be written safely, or None."""
    bad = _UNSAFE_CHARS.search(value)
    if bad:
        what = "a newline" if bad.group(0) == "\n" else f"control character {bad.group(0)!r}"
        return f"contains {what}; YaST and systemd read one value per line, so it cannot be written"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8, which systemd refuses to load"
    if "'" in value and _SHELL_SPECIAL.search(value):
        return (
            'contains a single quote together with one of " \\ $ `; no quoting '
            "reads back the same in bash, systemd and YaST"
        )
    if _YAST_DQ_ASSIGNMENT.search(value):
        return 'contains NAME="..."; YaST would read that part of the line as a variable of its own'
    return None


def _render(value, style):
    """Quote ``value`` for the file, keeping the assignment's own quoting if safe."""
    if style == "" and _BARE_SAFE.match(value):
        return value
    if style == "'" and "'" not in value:
        return f"'{value}'"
    if not _SHELL_SPECIAL.search(value):
        return f'"{value}"'
    # $, `, \ or " in the value: inside single quotes nothing is special to
    # bash, systemd or YaST, so the value is read back literally and never run.
    return f"'{value}'"


# --------------------------------------------------------------------------
# Atomic, locked writes
# --------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(path):
    """Hold an exclusive lock on the file currently at ``path``.

    The lock is taken on the file itself, and writes replace the file by
    rename; a writer that waited on a file that has since been replaced
    starts over on the new one, so no change is lost.
    """
    while True:
        fd = _open_regular(path, "open")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held, current = os.fstat(fd), os.stat(path)
            if (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino):
                break
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    try:
        yield fd
    finally:
        os.close(fd)


def _read_fd(path, fd):
    """The text of the file open at ``fd`` (from ``_open_regular``)."""
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except OSError as err:
        raise _os_error(path, err, "read") from err
    return b"".join(chunks).decode("utf-8", "surrogateescape")


def _write_atomic(path, text, root, read):
    """Replace ``path`` with ``text`` through the extension's one writer, which
    keeps the file's owner, mode and extended attributes, and never leaves the
    image ``root``; only while the file there still holds ``read``, the text the
    change was made from. Under the file's lock, nothing of this extension
    changes it; another program may, and under a root the file read may not be
    the one written, if a directory was swapped for a link in between: then
    nothing is written."""
    try:
        written = __salt__["docker_host_files.replace"](path, text, root=root, expect=read)
    except OSError as err:
        if err.filename == os.path.dirname(path):
            raise _os_error(err.filename, err, "write in") from err
        raise _os_error(path, err, "write") from err
    if not written:
        raise CommandExecutionError(
            f"{path} changed while it was being edited (by a program that does not take "
            "its lock, or a directory of the root was replaced by a link): nothing was "
            "written; run again"
        )


# --------------------------------------------------------------------------
# Computing a change
# --------------------------------------------------------------------------


def _type_prefix(text):
    """The ``## Type:`` prefix as this file spells it, for an appended block."""
    found = None
    for match in re.finditer(r"^##[ \t]*Type[ \t]*:[ \t]*", text, re.M):
        found = match.group(0)
    return found or "## Type: "


def _plan(path, text, values, types=None):
    """Compute the new text for ``values``.

    Return (new_text, changes, appended, wanted): ``wanted`` holds each value
    as the text the file will hold.

    Every value is checked before anything is computed, and all the problems
    are reported together.
    """
    assignments = _parse_or_raise(path, text)
    last = {a.key: a for a in assignments}
    described = _describe_all(text, assignments)
    current = {a.key: a.value for a in assignments}

    problems, wanted = [], {}
    for key, raw in values.items():
        if not isinstance(key, str) or not _NAME_RE.match(key):
            problems.append(f"{key!r} is not a valid variable name")
            continue
        if types and key in types:
            type_spec = types[key]
        else:
            type_spec = described[key]["Type"] if key in described else "string"
        try:
            value = _as_text(key, raw, type_spec)
        except SaltInvocationError as err:
            problems.append(str(err))
            continue
        why = _unrepresentable(value)
        if why is None:
            why = _type_error(type_spec, value)
            if why is not None:
                why = f"is of type {type_spec} and {why}"
        if why is not None:
            problems.append(f"{key}={value!r} {why}")
            continue
        if key in last:
            shared = _shares_line(text, last[key])
            if shared:
                problems.append(
                    f"{key} (line {last[key].line}) shares its line with {shared!r}, which "
                    f"systemd and YaST read differently from bash: put {key}=... on a "
                    "line of its own"
                )
                continue
        wanted[key] = value
    if problems:
        raise SaltInvocationError(f"{path}: " + "; ".join(problems) + ". Nothing was changed")

    changes, appended, edits, tail = {}, [], [], []
    for key, value in wanted.items():
        if key in current and current[key] == value:
            continue
        changes[key] = {"old": current.get(key), "new": value}
        if key in last:
            assignment = last[key]
            edits.append(
                (
                    assignment.value_start,
                    assignment.value_end,
                    _render(value, assignment.style),
                )
            )
        else:
            appended.append(key)
            tail.append((key, _render(value, '"')))

    new_text = text
    for start, end, rendered in sorted(edits, reverse=True):
        new_text = new_text[:start] + rendered + new_text[end:]
    if tail:
        if new_text and not new_text.endswith("\n"):
            new_text += "\n"
        prefix = _type_prefix(text)
        for key, rendered in tail:
            separator = "" if not new_text or new_text.endswith("\n\n") else "\n"
            new_text += (
                f"{separator}{prefix}string\n#\n# Added by Salt (sysconfig module).\n"
                f"#\n{key}={rendered}\n"
            )
    _verify(path, current, new_text, wanted)
    return new_text, changes, appended, wanted


def _shares_line(text, assignment):
    """Return the other text on the assignment's line(s), or ''.

    systemd and YaST read a line as one assignment: a trailing comment,
    another assignment, ``export`` or a line continuation beside it means
    they read something else than bash does.
    """
    line_start = text.rfind("\n", 0, assignment.start) + 1
    # A line that the one before continues belongs to it: an odd number of
    # backslashes before a newline joins the lines for bash, and for systemd
    # even after a comment, which bash ends at the newline.
    while line_start:
        previous_start = text.rfind("\n", 0, line_start - 1) + 1
        previous = text[previous_start : line_start - 1]
        if (len(previous) - len(previous.rstrip("\\"))) % 2 == 0:
            break
        line_start = previous_start
    line_end = text.find("\n", assignment.value_end)
    before = text[line_start : assignment.start]
    after = text[assignment.value_end : len(text) if line_end == -1 else line_end]
    return " ".join(part.strip() for part in (before, after) if part.strip())


def _verify(path, before, new_text, wanted):
    """Read the planned text back as bash would; refuse any change not asked for."""
    after = {a.key: a.value for a in _parse_or_raise(path, new_text)}
    side_effects = [
        f"{key} (from {before.get(key)!r} to {after.get(key)!r})"
        for key in sorted(set(before) | set(after))
        if key not in wanted and before.get(key) != after.get(key)
    ]
    if side_effects:
        raise CommandExecutionError(
            f"{path}: this change would also change {', '.join(side_effects)}, as bash "
            "reads the file. Nothing was changed; set those variables too, or edit "
            "the file by hand"
        )
    wrong = [key for key, value in wanted.items() if after.get(key) != value]
    if wrong:
        raise CommandExecutionError(
            f"{path}: the new text would not hold the requested value of "
            f"{', '.join(wrong)}. Nothing was changed"
        )


def _diff(path, old, new, context=3):
    """A unified diff of ``old`` and ``new``.

    The lines both texts share at their two ends are set aside first, so that
    a one-line change in a large file costs little, and lines are never
    treated as junk, so that the hunks show the real edit. The hunks are then
    cut from the whole texts: a change that difflib places at the edge of
    what was left still gets its context lines, without which patch(1) takes
    a hunk for the end of the file.
    """
    if old == new:
        return ""
    a, b = _lines(old), _lines(new)
    head = _common_start(a, b)
    tail = _common_start(a[head:][::-1], b[head:][::-1])
    matcher = difflib.SequenceMatcher(
        None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=False
    )
    # Each change as (first old line, end, first new line, end) in the whole texts;
    # changes at most two contexts apart share a hunk, as in diff -u.
    hunks = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        change = (head + i1, head + i2, head + j1, head + j2)
        if hunks and change[0] - hunks[-1][-1][1] <= 2 * context:
            hunks[-1].append(change)
        else:
            hunks.append([change])
    out = [f"--- {path}\n", f"+++ {path}\n"]
    for changes in hunks:
        # Before the first change and after the last, the two texts are equal
        # for at least as many lines as the context wants, or up to their ends.
        lead = min(context, changes[0][0])
        trail = min(context, len(a) - changes[-1][1])
        a_start, b_start = changes[0][0] - lead, changes[0][2] - lead
        a_end, b_end = changes[-1][1] + trail, changes[-1][3] + trail
        out.append(
            f"@@ -{_hunk_range(a_start, a_end - a_start)} "
            f"+{_hunk_range(b_start, b_end - b_start)} @@\n"
        )
        at = a_start
        for i1, i2, j1, j2 in changes:
            out.extend(" " + line for line in a[at:i1])
            out.extend("-" + line for line in a[i1:i2])
            out.extend("+" + line for line in b[j1:j2])
            at = i2
        out.extend(" " + line for line in a[at:a_end])
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
    )


def _lines(text):
    """The lines of ``text``, each with its newline: only a newline ends a line, as
    for bash, diff and patch (str.splitlines also ends one at a form feed, a
    carriage return, U+0085 or U+2028)."""
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def _common_start(a, b):
    """How many items the sequences ``a`` and ``b`` share from their start."""
    pairs = enumerate(zip(a, b, strict=False))  # the shorter one ends the walk
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


def _hunk_range(start, length):
    """A unified diff's line range: 1-based, and the line before an empty range."""
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def items(name, root=None):
    """
    Return every variable the file sets, with its value as bash sees it.

    name
        An absolute path, or a path relative to ``/etc/sysconfig``.

    root
        Work on this alternative root directory instead of ``/``.

    CLI Example:

    .. code-block:: bash

        salt '*' sysconfig.items docker
        salt '*' sysconfig.items /etc/sysconfig/SuSEfirewall2
        salt '*' sysconfig.items docker root=/srv/image-root
    """
    path = _follow_link(_path(name, root), root)
    _, assignments = _load(path)
    return {a.key: a.value for a in assignments}


def get(name, key, default=None, root=None):
    """
    Return one variable's value as bash sees it, or ``default`` if the file
    does not set it.

    CLI Example:

    .. code-block:: bash

        salt '*' sysconfig.get docker DOCKER_OPTS
        salt '*' sysconfig.get SuSEfirewall2 FW_ROUTE default=no
    """
    return items(name, root=root).get(key, default)


def describe(name, key=None, root=None):
    """
    Return the fillup/YaST metadata of each variable (or of ``key`` only).

    For every variable: ``Path``, ``Description``, ``Type``, ``Default``,
    ``ServiceRestart``, ``ServiceReload``, ``Command``, ``PreSaveCommand`` and
    ``Config`` (``None`` where not given; the three comma-separated ones as
    lists), ``comment`` (the help text), ``inherited`` (the keywords taken
    from a previous variable, as YaST does) and ``line``.

    CLI Example:

    .. code-block:: bash

        salt '*' sysconfig.describe docker
        salt '*' sysconfig.describe SuSEfirewall2 FW_ROUTE
    """
    path = _follow_link(_path(name, root), root)
    text, assignments = _load(path)
    described = _describe_all(text, assignments)
    if key is None:
        return described
    if key not in described:
        raise CommandExecutionError(f"{path} does not set {key}")
    return described[key]


def update(name, values, root=None, test=False, types=None, expect=None):
    """
    Set several variables of one file in one atomic write.

    Only the assignments of the listed variables change; every comment,
    metadata line, blank line and other variable keeps its bytes. A variable
    the file does not set is appended with a short metadata block. Values are
    checked against each variable's ``## Type:`` first, and every problem is
    reported at once; then nothing is written.

    values
        A mapping of variable name to value. ``True``/``False`` become
        ``yes``/``no`` (``true``/``false`` for ``boolean`` variables).

    test
        Return what would change without writing anything.

    types
        ``{KEY: type}`` to check those values against instead of the file's
        ``## Type:``, where the file's own documentation allows more than its
        metadata says (SuSEfirewall2's ``FW_ROUTE`` is ``yesno`` but takes
        ``IPv4,IPv6``).

    expect
        ``{KEY: value}`` the variables must still hold, as bash reads them (an
        unset one holds ``""``), for anything to be written: a caller that
        computed ``values`` from what it read gets no lost update. When one
        holds something else, nothing is written and ``conflicts`` says what
        each holds now.

    Returns ``file``, ``values`` (each value as the text the file holds),
    ``changes`` (``{KEY: {old, new}}``, ``old`` is ``None``
    for an appended variable), ``appended`` (the keys added at the end),
    ``diff``, ``written`` and ``conflicts`` (``{}`` unless ``expect`` was
    not met).

    CLI Example:

    .. code-block:: bash

        salt '*' sysconfig.update docker values='{"DOCKER_OPTS": "--log-level=warn"}'
        salt '*' sysconfig.update SuSEfirewall2 '{"FW_ROUTE": yes}' test=True
    """
    if not isinstance(values, dict):
        raise SaltInvocationError(
            f"values must be a mapping of VARIABLE: value, not {type(values).__name__}"
        )
    if types is not None and (
        not isinstance(types, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in types.items())
    ):
        raise SaltInvocationError(f"types must map VARIABLE to a type such as string: {types!r}")
    if expect is not None and (
        not isinstance(expect, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in expect.items())
    ):
        raise SaltInvocationError(f"expect must map VARIABLE to the text it holds: {expect!r}")
    path = _follow_link(_path(name, root), root)
    if test:
        text = _read(path)
        return _conflicts(path, text, expect) or _result(
            path, text, _plan(path, text, values, types), written=False
        )
    with _locked(path) as fd:
        text = _read_fd(path, fd)
        conflicts = _conflicts(path, text, expect)
        if conflicts:
            return conflicts
        plan = _plan(path, text, values, types)
        if plan[0] != text:
            _write_atomic(path, plan[0], root, read=text)
    return _result(path, text, plan, written=plan[0] != text)


def _conflicts(path, text, expect):
    """``update``'s result when the file does not hold what ``expect`` says, else None."""
    if not expect:
        return None
    now = {a.key: a.value for a in _parse_or_raise(path, text)}
    found = {key: now.get(key, "") for key, value in expect.items() if now.get(key, "") != value}
    if not found:
        return None
    return {
        "file": path,
        "values": {},
        "changes": {},
        "appended": [],
        "diff": "",
        "written": False,
        "conflicts": found,
    }


def _result(path, text, plan, written):
    new_text, changes, appended, wanted = plan
    return {
        "file": path,
        "values": wanted,
        "changes": changes,
        "appended": appended,
        "diff": _diff(path, text, new_text),
        "written": written,
        "conflicts": {},
    }


def set_(name, key, value, root=None, test=False, expect=None):
    """
    Set one variable; return ``file``, ``key``, ``old``, ``new``, ``changed``,
    ``appended``, ``diff`` and ``conflict``.

    The value is checked against the variable's ``## Type:`` and quoted so
    that bash, systemd and YaST all read back exactly this value; a value
    that cannot be written that way is refused. Only that assignment changes.

    With ``expect``, the value the variable must still hold (unset holds
    ``""``): otherwise nothing is written, ``conflict`` is true and ``old``
    and ``new`` are what it holds now.

    CLI Example:

    .. code-block:: bash

        salt '*' sysconfig.set docker DOCKER_OPTS value='--storage-driver=btrfs'
        salt '*' sysconfig.set SuSEfirewall2 FW_ROUTE yes
        salt '*' sysconfig.set docker DOCKER_OPTS '' root=/srv/image-root test=True
    """
    result = update(
        name, {key: value}, root=root, test=test, expect=None if expect is None else {key: expect}
    )
    if result["conflicts"]:
        now = result["conflicts"][key]
        return {
            "file": result["file"],
            "key": key,
            "old": now,
            "new": now,
            "changed": False,
            "appended": False,
            "diff": "",
            "conflict": True,
        }
    change = result["changes"].get(key)
    new = result["values"][key]
    return {
        "file": result["file"],
        "key": key,
        "old": change["old"] if change else new,
        "new": new,
        "changed": change is not None,
        "appended": key in result["appended"],
        "diff": result["diff"],
        "conflict": False,
    }
