"""heat-resume: see and resume heat_resume operations.

    heat-resume --config-file /etc/heat/heat.conf status [STACK_ID]
    heat-resume --config-file /etc/heat/heat.conf resume STACK_ID

``status`` lists the operations in flight (or one stack's, resource by
resource) from the database. ``resume`` takes over one stack whose engine
died, in this process, with Heat's own stack lock (it refuses while the
owning engine answers Heat's liveness check), and waits for the end.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging

CONF = cfg.CONF


def add_command_parsers(subparsers):
    status = subparsers.add_parser('status', help='operations in flight')
    status.add_argument('stack_id', nargs='?')
    status.set_defaults(func=do_status)
    resume = subparsers.add_parser('resume', help='resume one stack now')
    resume.add_argument('stack_id')
    resume.set_defaults(func=do_resume)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                handler=add_command_parsers)


def _admin():
    from heat.common import context
    return context.get_admin_context()


def do_status(stack_id=None):
    from heat_resume import progress
    from heat_resume import takeover
    ctx = _admin()
    stack_ids = ([stack_id] if stack_id
                 else takeover.in_progress_stack_ids(ctx))
    found = False
    for stack_id in stack_ids:
        record, _ = progress.load_operation(ctx, stack_id)
        if record is None:
            continue
        found = True
        print('stack %s: %s by engine %s since %s, resumed %d time(s)%s' % (
            stack_id, record.get('op'), record.get('engine'),
            record.get('started_at'), record.get('resumes', 0),
            ' (finished: %s)' % ' '.join(record['final'])
            if record.get('final') else ''))
        if len(stack_ids) == 1:
            _print_resources(ctx, stack_id)
    if not found:
        print('no heat_resume operation in flight')
    return 0


def _print_resources(ctx, stack_id):
    from heat.objects import resource as resource_objects
    from heat_resume import progress
    rows = resource_objects.Resource.get_all_by_stack(ctx, stack_id)
    for name, row in sorted(rows.items()):
        task = progress.load_task(ctx, row.id) or {}
        print('  %-24s %-10s %-12s %-17s attempt %s engine %s' % (
            name, row.action, row.status, task.get('phase', '-'),
            task.get('attempt', '-'), task.get('engine', '-')))


def do_resume(stack_id):
    from heat.common import messaging
    from heat.common import service_utils
    from heat.engine import service
    from heat_resume import progress
    from heat_resume import takeover
    messaging.setup()
    engine_id = service_utils.generate_engine_id()
    progress.set_engine_id(engine_id)
    threads = service.ThreadGroupManager()
    thread = takeover.resume_stack(stack_id, engine_id, threads)
    if thread is None:
        print('stack %s was not resumed: no heat_resume operation in '
              'flight, its engine is alive, or it cannot be resumed (see '
              'the log)' % stack_id)
        return 1
    print('resuming stack %s as engine %s' % (stack_id, engine_id))
    thread.join()
    do_status(stack_id)
    return 0


def main(argv=None):
    from heat.common import config  # noqa: F401  Heat's own options
    from heat_resume import conf
    conf.register_opts()
    CONF.register_cli_opt(command_opt)
    logging.register_options(CONF)
    CONF(sys.argv[1:] if argv is None else argv, project='heat',
         prog='heat-resume')
    logging.setup(CONF, 'heat-resume')
    return CONF.command.func(CONF.command.stack_id)


if __name__ == '__main__':
    sys.exit(main())
