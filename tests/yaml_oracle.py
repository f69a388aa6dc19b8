"""Loads a YAML file with ansible-core's own loader and prints its typed view as JSON: the oracle
for tests/tests/yaml_diff.rs."""
import json, sys
import yaml
from ansible.parsing.yaml.loader import AnsibleLoader
from oracle_values import describe

print(json.dumps(describe(yaml.load(open(sys.argv[1]).read(), Loader=AnsibleLoader))))
