"""Let Heat's own test helpers find the etc/heat files the wheel installs.

heat/tests/common.py looks for etc/heat two levels above heat/tests, i.e.
<site-packages>/etc, while the wheel puts them in <venv>/etc.
"""

import os
import sys
import sysconfig


def main():
    site = sysconfig.get_paths()['purelib']
    link = os.path.join(site, 'etc')
    target = os.path.join(sys.prefix, 'etc')
    if not os.path.exists(link) and os.path.isdir(target):
        os.symlink(target, link)


if __name__ == '__main__':
    main()
