"""Evaluates template cases with ansible-core's own Templar: the oracle for tests/tests/template_diff.rs.

Usage: python template_oracle.py CASES.yml  → prints a JSON list, one result per case:
  {"ok": true, "value": <typed value>}  or  {"ok": false, "error": "<exception type>: <message>"}
A cases file holds `vars:` (shared by every case) and `cases:`, each either a string (templated
like a module argument) or a mapping with one of `template:`, `expr:` (a bare expression) or
`when:` (a conditional), plus optional `vars:` for that case only.
"""
import datetime, json, math, os, sys
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.yaml.loader import AnsibleLoader
from ansible.template import Templar, trust_as_template
from oracle_values import describe


def trust(v):
    if isinstance(v, str): return trust_as_template(v)
    if isinstance(v, list): return [trust(x) for x in v]
    if isinstance(v, dict): return {k: trust(x) for k, x in v.items()}
    return v


def main():
    # Filters that live in collections (json_query is community.general's) resolve through the
    # collection loader, as ansible-playbook sets it up, when the test gives their path.
    if os.environ.get("ANSIBLE_COLLECTIONS_PATH"):
        from ansible.plugins.loader import init_plugin_loader
        init_plugin_loader(os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep))
    doc = yaml.load(open(sys.argv[1]).read(), Loader=AnsibleLoader)
    # Every file's cases also see `fixtures_dir`: the absolute directory of the cases file.
    shared = dict(doc.get("vars") or {}, fixtures_dir=os.path.dirname(os.path.abspath(sys.argv[1])))
    results = []
    for case in doc["cases"]:
        if not isinstance(case, dict):
            case = {"template": case}
        variables = trust(dict(shared, **(case.get("vars") or {})))
        templar = Templar(loader=DataLoader(), variables=variables)
        try:
            if "expr" in case:
                value = templar.evaluate_expression(trust_as_template(case["expr"]))
            elif "when" in case:
                # A task's `when:` list means all of them, checked in order (Conditional mixin).
                conditions = case["when"] if isinstance(case["when"], list) else [case["when"]]
                value = all(templar.evaluate_conditional(trust(c)) for c in conditions)
            else:
                value = templar.template(trust(case["template"]))
            results.append({"ok": True, "value": describe(value)})
        except Exception as e:  # every failure is an outcome to compare
            results.append({"ok": False, "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"})
    print(json.dumps(results))


main()
