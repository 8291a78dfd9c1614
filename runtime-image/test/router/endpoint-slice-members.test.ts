// The pure merge of EndpointSlices into ring members: table-driven, no cluster needed.
import assert from 'node:assert/strict';
import {
  membersFromSlices,
  type EndpointView,
  type SliceView,
} from '../../src/router/endpoint-slice-members.js';
import { MemberSet, type MembershipEvent } from '../../src/router/membership.js';

type EndpointOption = (e: EndpointView) => void;

/** A pod endpoint, ready unless an option says otherwise. */
function pod(name: string, address: string, ...options: EndpointOption[]): EndpointView {
  const endpoint: EndpointView = {
    addresses: [address],
    conditions: { ready: true },
    targetRef: { kind: 'Pod', name, namespace: 'ns' },
  };
  for (const option of options) option(endpoint);
  return endpoint;
}

const notReady: EndpointOption = (e) => {
  e.conditions = { ready: false, serving: false, terminating: false };
};
/** Terminating while still serving (what the API reports for a draining pod). */
const terminating: EndpointOption = (e) => {
  e.conditions = { ready: false, serving: true, terminating: true };
};
/** publishNotReadyAddresses: ready stays true even while terminating. */
const terminatingButPublished: EndpointOption = (e) => {
  e.conditions = { ready: true, serving: true, terminating: true };
};
const noConditions: EndpointOption = (e) => {
  delete e.conditions;
};
const noTargetRef: EndpointOption = (e) => {
  delete e.targetRef;
};
const nodeTarget: EndpointOption = (e) => {
  e.targetRef = { kind: 'Node', name: 'node-1' };
};

/** A whole slice as the API serves it; the router reads only the SliceView part. */
type Slice = SliceView & { addressType: string; metadata?: object };

function slice(
  name: string,
  endpoints: EndpointView[],
  options: { port?: number | null; portName?: string; addressType?: string } = {},
): Slice {
  const ports =
    options.port === null ? [] : [{ name: options.portName ?? 'http', port: options.port ?? 8080 }];
  return {
    addressType: options.addressType ?? 'IPv4',
    metadata: { name, namespace: 'ns', labels: { 'kubernetes.io/service-name': 'runtime' } },
    endpoints,
    ports,
  };
}

const cases: {
  name: string;
  slices: Slice[];
  want: [string, string][];
}[] = [
  {
    name: 'names members by their pod and reaches them on the port named http',
    slices: [slice('s1', [pod('rt-b', '10.0.0.2'), pod('rt-a', '10.0.0.1')], { port: 9000 })],
    want: [
      ['rt-a', 'http://10.0.0.1:9000'],
      ['rt-b', 'http://10.0.0.2:9000'],
    ],
  },
  {
    name: 'merges several slices of one Service',
    slices: [slice('s1', [pod('rt-a', '10.0.0.1')]), slice('s2', [pod('rt-b', '10.0.0.2')])],
    want: [
      ['rt-a', 'http://10.0.0.1:8080'],
      ['rt-b', 'http://10.0.0.2:8080'],
    ],
  },
  {
    name: 'counts a pod listed by two slices once',
    slices: [
      slice('s1', [pod('rt-a', '10.0.0.1'), pod('rt-b', '10.0.0.2')]),
      slice('s2', [pod('rt-b', '10.0.0.2')]),
    ],
    want: [
      ['rt-a', 'http://10.0.0.1:8080'],
      ['rt-b', 'http://10.0.0.2:8080'],
    ],
  },
  {
    name: 'keeps a pod that one slice lists as not ready while another lists it ready',
    slices: [
      slice('old', [pod('rt-a', '10.0.0.1', notReady)]),
      slice('new', [pod('rt-a', '10.0.0.1')]),
    ],
    want: [['rt-a', 'http://10.0.0.1:8080']],
  },
  {
    name: 'picks the same URL whichever slice comes first when two slices disagree',
    slices: [slice('s2', [pod('rt-a', '10.0.0.9')]), slice('s1', [pod('rt-a', '10.0.0.1')])],
    want: [['rt-a', 'http://10.0.0.1:8080']],
  },
  {
    name: 'leaves out not-ready and terminating endpoints',
    slices: [
      slice('s1', [
        pod('rt-a', '10.0.0.1'),
        pod('rt-b', '10.0.0.2', notReady),
        pod('rt-c', '10.0.0.3', terminating),
        pod('rt-d', '10.0.0.4', terminatingButPublished),
      ]),
    ],
    want: [['rt-a', 'http://10.0.0.1:8080']],
  },
  {
    name: 'takes an endpoint without conditions as ready, as the API defines',
    slices: [slice('s1', [pod('rt-a', '10.0.0.1', noConditions)])],
    want: [['rt-a', 'http://10.0.0.1:8080']],
  },
  {
    name: 'names an endpoint that is not a pod host:port, like a static backend',
    slices: [
      slice('s1', [pod('x', '10.0.0.1', noTargetRef), pod('y', '10.0.0.2', nodeTarget)], {
        port: 9000,
      }),
    ],
    want: [
      ['10.0.0.1:9000', 'http://10.0.0.1:9000'],
      ['10.0.0.2:9000', 'http://10.0.0.2:9000'],
    ],
  },
  {
    name: 'puts IPv6 addresses in brackets',
    slices: [
      slice('s1', [pod('rt-a', 'fd00::1'), pod('z', '::1', noTargetRef)], {
        addressType: 'IPv6',
      }),
    ],
    want: [
      ['[::1]:8080', 'http://[::1]:8080'],
      ['rt-a', 'http://[fd00::1]:8080'],
    ],
  },
  {
    name: 'prefers the IPv4 address of a dual-stack pod',
    slices: [
      slice('v6', [pod('rt-a', 'fd00::1')], { addressType: 'IPv6' }),
      slice('v4', [pod('rt-a', '10.0.0.1')]),
    ],
    want: [['rt-a', 'http://10.0.0.1:8080']],
  },
  {
    name: 'falls back to --backend-port when no port is named http',
    slices: [
      slice('unnamed', [pod('rt-a', '10.0.0.1')], { portName: '', port: 9999 }),
      slice('portless', [pod('rt-b', '10.0.0.2')], { port: null }),
    ],
    want: [
      ['rt-a', 'http://10.0.0.1:7000'],
      ['rt-b', 'http://10.0.0.2:7000'],
    ],
  },
  {
    name: 'has no members for slices without endpoints',
    slices: [slice('empty', []), { addressType: 'IPv4', endpoints: null, ports: null }],
    want: [],
  },
];

describe('EndpointSlices to ring members', () => {
  for (const tc of cases) {
    it(tc.name, () => {
      const members = membersFromSlices(tc.slices, { backendPort: 7000 });
      assert.deepEqual(
        members.map((m) => [m.name, m.url]),
        tc.want,
      );
    });
  }

  it('applies a new slice set as the differences only (a member already there: no event)', () => {
    const set = new MemberSet();
    const events: string[] = [];
    set.subscribe((e: MembershipEvent) => events.push(`${e.type} ${e.member.name}`));
    const read = (slices: SliceView[]) => membersFromSlices(slices, { backendPort: 8080 });
    set.replaceAll(read([slice('s1', [pod('rt-a', '10.0.0.1'), pod('rt-b', '10.0.0.2')])]));
    set.replaceAll(read([slice('s1', [pod('rt-b', '10.0.0.2'), pod('rt-c', '10.0.0.3')])]));
    set.replaceAll(read([slice('s1', [pod('rt-b', '10.0.0.2'), pod('rt-c', '10.0.0.3')])]));
    assert.deepEqual(events, ['added rt-a', 'added rt-b', 'removed rt-a', 'added rt-c']);
  });
});
