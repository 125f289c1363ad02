import type { WarmPoolStatus } from '@paddock/api';
import { UsageBar } from '../governance/usage-bar.tsx';
import { Empty } from '../states.tsx';

/** Per template, how many pre-provisioned sandboxes are ready out of the pool's size. */
export function WarmPools({ pools }: { pools: readonly WarmPoolStatus[] }) {
  if (pools.length === 0) {
    return (
      <Empty title="No warm pools">
        A template with <code>warmPool.size</code> keeps sandboxes ready.
      </Empty>
    );
  }
  return (
    <ul className="plain-list">
      {pools.map((pool) => (
        <li key={pool.template}>
          <span className="mono small">{pool.template}</span>
          <UsageBar
            used={pool.ready}
            limit={pool.desired}
            kind="fill"
            text={`${pool.ready}/${pool.desired} ready · ${pool.hits} hits, ${pool.misses} misses`}
          />
        </li>
      ))}
    </ul>
  );
}
