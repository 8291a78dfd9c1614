// The tokens of the routes that are not calls (ADR 0125), for `glass runtime` and `glass
// router`. Read from the environment (a Secret's keys in Kubernetes): a flag's value would show
// in `ps` and in the pod's manifest.
import { Option, type Command } from 'commander';

export function addAdminTokenOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--admin-token <token>',
        'with it, routes other than /invoke, /health, /ready (and /lb/health) need Authorization: Bearer <token>; set it through the environment',
      ).env('GLASS_ADMIN_TOKEN'),
    )
    .addOption(
      new Option('--metrics-token <token>', 'a second token that may read /metrics only').env(
        'GLASS_METRICS_TOKEN',
      ),
    );
}
