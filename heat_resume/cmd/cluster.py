# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""A read-only look at ZooKeeper: which engines live, who holds a stack.

The CLI is not an engine: it reads the membership nodes and the lock
contenders coordination.py's engines create, without registering
itself, so that looking never changes what the engines see.
"""

import json

from kazoo import exceptions as kazoo_exceptions
from oslo_log import log as logging

from heat_resume.cmd import errors
from heat_resume import coordination

LOG = logging.getLogger(__name__)


class Cluster(object):
    """A ZooKeeper session of the CLI's own; connect() before use."""

    def __init__(self, opts):
        self.opts = opts
        self.hosts = ','.join(opts.zookeeper_hosts)
        self.base = coordination.base_path(opts)
        self.client = None

    @property
    def configured(self):
        return bool(self.opts.zookeeper_hosts)

    def connect(self):
        """Connect, or raise ZooKeeperUnreachable (a one-line error)."""
        client = coordination.client_from_conf(self.opts)
        timeout = self.opts.zookeeper_connection_timeout
        try:
            client.start(timeout=timeout)
        except Exception as exc:  # kazoo's timeout is handler-specific
            _close(client)
            raise errors.ZooKeeperUnreachable(
                'ZooKeeper %s is unreachable (%s)' % (
                    self.hosts, str(exc) or 'no answer within %ss'
                    % timeout))
        self.client = client
        LOG.debug('Connected to ZooKeeper %s', self.hosts)
        return self

    def close(self):
        if self.client is not None:
            _close(self.client)
            self.client = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc_info):
        self.close()

    def members(self):
        """The live engines, as plain dicts: id, host, pid, since, versions.

        Sorted by start time. Tolerates older and newer node formats.
        """
        try:
            children = self.client.get_children(
                coordination.engines_path(self.base))
        except kazoo_exceptions.NoNodeError:
            return []
        members = []
        for child in children:
            try:
                data, _ = self.client.get(
                    coordination.member_path(self.base, child))
            except kazoo_exceptions.NoNodeError:
                continue  # left meanwhile
            members.append(member(child, data))
        return sorted(members, key=lambda m: (m['since'] or '', m['id']))

    def member_ids(self):
        return {m['id'] for m in self.members()}

    def holder(self, stack_id):
        """The engine id holding the stack's ZooKeeper lock, or None."""
        return coordination.holder(self.client, self.base, stack_id)


def member(name, data):
    """A membership node's JSON, normalised (see coordination._register)."""
    try:
        info = json.loads(data.decode('utf-8') if data else '{}')
    except (TypeError, ValueError):
        info = {}
    if not isinstance(info, dict):
        info = {}
    versions = info.get('versions')
    if not isinstance(versions, dict):
        versions = {k: info[k] for k in ('heat', 'heat_resume')
                    if info.get(k)}
    return {'id': info.get('id') or info.get('engine') or name,
            'host': info.get('host'), 'pid': info.get('pid'),
            'since': (info.get('since') or info.get('started') or
                      info.get('start_time')),
            'versions': versions}


def _close(client):
    try:
        client.stop()
        client.close()
    except Exception as exc:  # closing anyway
        LOG.debug('ZooKeeper client stop: %s', exc)


def optional(opts):
    """(connected Cluster or None, the error when ZooKeeper is down).

    For what still makes sense without ZooKeeper (status); None, None
    when ZooKeeper is not configured.
    """
    if not opts.zookeeper_hosts:
        return None, None
    try:
        return Cluster(opts).connect(), None
    except errors.ZooKeeperUnreachable as exc:
        return None, str(exc)


class required(object):
    """A connected Cluster for a ZooKeeper part; None without ZooKeeper.

    Raises ZooKeeperUnreachable: a decision that needs ZooKeeper (is
    the holder alive?) is not taken without it.
    """

    def __init__(self, opts):
        self.cluster = Cluster(opts) if opts.zookeeper_hosts else None

    def __enter__(self):
        return self.cluster and self.cluster.connect()

    def __exit__(self, *exc_info):
        if self.cluster is not None:
            self.cluster.close()


class Membership(object):
    """Be a ZooKeeper member while resuming, as an engine is.

    The resumed operation then takes the stack's ZooKeeper lock and
    token, which fences the dead engine, and the engines see the lock
    holder alive instead of taking the stack over from us.
    """

    def __init__(self, opts, engine_id):
        self.opts = opts
        self.engine_id = engine_id
        self.coordinator = None

    def __enter__(self):
        if not self.opts.zookeeper_hosts:
            return self
        self.coordinator = coordination.Coordinator(self.opts,
                                                    self.engine_id)
        try:
            self.coordinator.start()
        except coordination.CoordinationUnavailable as exc:
            self.coordinator.stop()
            raise errors.ZooKeeperUnreachable(str(exc))
        coordination.set_active(self.coordinator)
        return self

    def __exit__(self, *exc_info):
        if self.coordinator is not None:
            coordination.set_active(None)
            self.coordinator.stop()
