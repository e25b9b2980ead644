"""The lab's hosts as an Ansible inventory, the way an estate moving from Ansible lists them: each host under
its site name, in a group per role, ansible_host = its first site address, root with the lab's ssh key
and client config. `lab verify-ansible` runs the verifier with it (`--ansible-inventory`).

Ansible's commands (testinfra runs `ansible-inventory --list`) read a configuration and a home of the
lab's, in the state directory: nothing of the machine's ~/.ansible or /etc/ansible is read or written.
"""
import yaml

from . import sshd


def inventory_file(lab):
    return lab.state_dir / 'ansible' / 'inventory.yml'


def config_file(lab):
    return lab.state_dir / 'ansible' / 'ansible.cfg'


def inventory(lab):
    """The inventory as data: groups named after the roles, host variables from the site."""
    groups = {}
    for host, entry in lab.hosts.items():
        for role in entry['roles']:
            groups.setdefault(role, {'hosts': {}})['hosts'][host] = {'ansible_host': lab.address(host)}
    return {'all': {'vars': {'ansible_user': 'root',
                             'ansible_ssh_private_key_file': str(sshd.key_file(lab)),
                             'ansible_ssh_common_args': f'-F {sshd.config_file(lab)}'},
                    'children': groups}}


def configure(lab):
    """Write Ansible's configuration for the lab (its temporary files in the state directory)."""
    lab.dir('ansible', 'tmp')
    config_file(lab).write_text(f'[defaults]\nlocal_tmp = {lab.state_dir / "ansible" / "tmp"}\n'
                                'inventory_unparsed_failed = True\n')


def write(lab, path=None, data=None):
    """Write the inventory (default: the lab's, to inventory_file) and Ansible's configuration; returns the
    inventory's path."""
    configure(lab)
    path = path or inventory_file(lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('# The lab hosts as an Ansible inventory (test/lab/v6lab/ansible.py)\n'
                    + yaml.safe_dump(inventory(lab) if data is None else data, sort_keys=True,
                                     default_flow_style=False))
    return path


def env(lab):
    """The environment entries of a command that runs Ansible's tools for the lab (Ansible refuses to start
    unless the locale's encoding is UTF-8)."""
    return {'ANSIBLE_CONFIG': str(config_file(lab)), 'ANSIBLE_HOME': str(lab.state_dir / 'ansible' / 'home'),
            'ANSIBLE_LOCAL_TEMP': str(lab.state_dir / 'ansible' / 'tmp'), 'ANSIBLE_VERBOSITY': '0',
            'LC_ALL': 'C.UTF-8'}
