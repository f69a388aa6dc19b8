"""The benchmark's playbooks, generated so their size is a parameter.

`converge(units)`: 10 tasks per unit (file, copy, template, lineinfile ×2, command with
creates, stat, set_fact, debug, and a file task whose first unit loops over 20 items), all
idempotent: a second run changes nothing. 10 units make the issue's 100-task playbook. Every
path is below the play variable `base`, so removing that directory makes the next run a first
run again.
"""

TEMPLATE = "# managed for {{ inventory_hostname }}\nunit={{ unit }}\nhosts={{ play_hosts | length }}\n"


def converge(units: int, base: str) -> str:
    """The idempotent playbook of `units` × 10 tasks working below `base`."""
    out = [f"- hosts: all\n  gather_facts: false\n  vars:\n    base: {base}\n  tasks:\n"]
    for u in range(units):
        d = f"{{{{ base }}}}/u{u}"
        loop = "\n      loop: \"{{ range(20) | list }}\"" if u == 0 else ""
        item = "/i{{ item }}" if u == 0 else "/sub"
        out.append(f"""    - name: unit {u} directory
      file: path={d} state=directory mode=0755
    - name: unit {u} config
      copy: content="port = 80\\n" dest={d}/copy.conf mode=0644
    - name: unit {u} template
      template: src=unit.j2 dest={d}/unit.conf mode=0640
      vars:
        unit: {u}
    - name: unit {u} line
      lineinfile: path={d}/app.conf line="user = app{u}" create=true
    - name: unit {u} regexp
      lineinfile: path={d}/app.conf regexp="^port" line="port = 80"
    - name: unit {u} marker
      command: touch {d}/marker creates={d}/marker
    - name: unit {u} stat
      stat: path={d}/app.conf
      register: st{u}
    - name: unit {u} fact
      set_fact:
        size{u}: "{{{{ st{u}.stat.size }}}}"
    - name: unit {u} debug
      debug: msg="unit {u} size {{{{ size{u} }}}}"
    - name: unit {u} subdirectories
      file: path={d}{item} state=directory{loop}
""")
    return "".join(out)


FACTS = "- hosts: all\n  gather_facts: true\n  tasks: []\n"

# The startup scenario's syntax-checked playbook: common modules, each task with name, tags, when.
_STARTUP_MODULES = [
    ("ansible.builtin.file", ["path: /tmp/f{i}", "state: directory", "mode: 0755"]),
    ("ansible.builtin.copy", ["content: 'x{i}'", "dest: /tmp/c{i}"]),
    ("ansible.builtin.command", ["cmd: echo {i}", "creates: /tmp/x{i}"]),
    ("ansible.builtin.set_fact", ["v{i}: \"{{{{ {i} | int + 1 }}}}\""]),
    ("ansible.builtin.debug", ["msg: \"task {i}\""]),
]


def startup(n_tasks: int) -> str:
    """A play of `n_tasks` tasks cycling through common modules, for --syntax-check."""
    out = ["- hosts: all\n  gather_facts: false\n  tasks:\n"]
    for i in range(n_tasks):
        module, args = _STARTUP_MODULES[i % len(_STARTUP_MODULES)]
        out.append(f"    - name: task {i}\n      tags: [t{i % 7}]\n      when: x{i % 3} is not defined\n"
                   f"      {module}:\n")
        out.extend(f"        {arg.format(i=i)}\n" for arg in args)
    return "".join(out)
