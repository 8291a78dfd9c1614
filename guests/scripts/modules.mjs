// Every module guests/ builds, in one table that build.mjs and samples.mjs both read, so a
// new guest is one row here. `exports` are the ones the build insists on; `sample` says
// where its Faaslet sample goes (crds/samples/...) and how it differs from the defaults.
// `from` is where the bytes come from: 'assemblyscript', 'wat', 'go', 'c', 'rust', 'generated'
// or 'bytes'.

export const MODULES = [
  {
    name: 'counter',
    from: 'assemblyscript',
    source: 'counter/index.ts',
    abi: 'glass',
    exports: ['add', 'multiply', 'get'],
    sample: {
      path: 'counter.yaml',
      about: [
        'Numeric exports: add(value: i32) -> i32, multiply(value: i32) -> i32, get() -> i32.',
        'curl "localhost:8080/invoke/add?value=5"',
      ],
    },
  },
  {
    name: 'counter-go',
    from: 'go',
    source: 'counter',
    abi: 'glass',
    exports: ['add', 'multiply', 'get', '_initialize'],
    sample: {
      // Beside crds/samples: its `add` would make `/invoke/add` ambiguous next to counter's.
      path: '../languages/counter-go.yaml',
      state: { namespace: 'counter' },
      about: [
        'The counter guest in Go (guests/go/counter), a WASI reactor built with',
        'GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared. It shares the namespace',
        '"counter" with the AssemblyScript counter.',
        'curl "localhost:8080/invoke/counter-go/add?value=10"',
      ],
    },
  },
  {
    name: 'counter-c',
    from: 'c',
    source: 'counter/counter.c',
    abi: 'glass',
    exports: ['add', 'multiply', 'get', '_initialize'],
    sample: {
      // Beside crds/samples: its `add` would make `/invoke/add` ambiguous next to counter's.
      path: '../languages/counter-c.yaml',
      state: { namespace: 'counter' },
      about: [
        'The counter guest in C (guests/c/counter, SDK guests/c/include/glass.h), a WASI reactor',
        "built with Debian's clang, lld and wasi-libc: clang --target=wasm32-wasi --sysroot=/usr",
        '-mexec-model=reactor. It shares the namespace "counter" with the other counters.',
        'curl "localhost:8080/invoke/counter-c/add?value=10"',
      ],
    },
  },
  {
    name: 'counter-rust',
    from: 'rust',
    source: 'counter',
    abi: 'glass',
    exports: ['add', 'multiply', 'get'],
    sample: {
      // Beside crds/samples: its `add` would make `/invoke/add` ambiguous next to counter's.
      path: '../languages/counter-rust.yaml',
      state: { namespace: 'counter' },
      about: [
        'The counter guest in Rust (guests/rust/counter, SDK guests/rust/glass), a cdylib for',
        "wasm32-wasi built with Debian's rustc and libstd-rust-dev-wasm32 (ADR 0120). It shares",
        'the namespace "counter" with the other counters.',
        'curl "localhost:8080/invoke/counter-rust/add?value=10"',
      ],
    },
  },
  {
    name: 'kv',
    from: 'assemblyscript',
    source: 'kv/index.ts',
    abi: 'glass',
    exports: ['get', 'put', 'delete'],
    sample: {
      path: 'kv.yaml',
      about: [
        'Bytes exports with JSON bodies: put {"key","value"}, get {"key"}, delete {"key"}.',
        `curl -X POST localhost:8080/invoke/kv/put -d '{"key":"greeting","value":"hello"}'`,
      ],
    },
  },
  {
    name: 'cart',
    from: 'assemblyscript',
    source: 'cart/index.ts',
    abi: 'glass',
    exports: ['add_item', 'remove_item', 'list'],
    sample: {
      path: 'cart.yaml',
      state: { namespace: 'cart-{user}' },
      about: [
        'A cart per user: namespace cart-{user} is one namespace, one transaction scope and one',
        'owner pod per X-User-ID. Bytes exports: add and remove take an item name, list answers',
        'the cart as JSON. curl -H "X-User-ID: alice" -d apple localhost:8080/invoke/cart/add_item',
      ],
    },
  },
  {
    name: 'echo-wasi',
    from: 'assemblyscript',
    source: 'echo-wasi/index.ts',
    abi: 'wasi-command',
    exports: ['_start'],
    sample: {
      path: 'echo-wasi.yaml',
      about: [
        'A WASI command: the request body on stdin comes back on stdout. With the arg',
        '--show-env it then prints the lines "args: ..." and "env: K=V ...".',
      ],
    },
  },
  {
    name: 'trap',
    from: 'wat',
    source: 'fixtures/trap.wat',
    abi: 'glass',
    exports: ['run', 'write_then_trap'],
    sample: {
      path: 'fixtures/trap.yaml',
      about: [
        'Misbehaves on purpose: run traps (500); write_then_trap sets "counter" to "999"',
        'first, and that write must never become visible.',
      ],
    },
  },
  {
    name: 'invariant',
    from: 'wat',
    source: 'fixtures/invariant.wat',
    abi: 'glass',
    exports: ['check', 'check_via_call', 'transfer', 'hold'],
    sample: {
      path: 'fixtures/invariant.yaml',
      about: [
        'Keeps a + b = 100: transfer(n) moves n from "a" to "b"; check() reads "a", then "b",',
        'answers a, and traps when the sum is not 100; check_via_call does the same through a',
        'nested call of the Faaslet named in the body. hold returns once "gate" exists (tests',
        'use it to keep a worker busy). A trap on values from two moments must be retried.',
      ],
    },
  },
  {
    name: 'spin',
    from: 'wat',
    source: 'fixtures/spin.wat',
    abi: 'glass',
    exports: ['run', 'write_then_spin'],
    sample: {
      path: 'fixtures/spin.yaml',
      limits: { timeout: '1s' },
      about: [
        'Misbehaves on purpose: run loops forever; the 1s timeout must stop it (504).',
        'write_then_spin sets "counter" to "777" first, and that write must never become visible.',
      ],
    },
  },
  {
    name: 'prototype',
    from: 'wat',
    source: 'fixtures/prototype.wat',
    abi: 'glass',
    exports: ['_start', 'add', 'add_then_exit', 'add_then_fail'],
    sample: {
      // Beside crds/samples, not in it: its `add` would make `/invoke/add` ambiguous for
      // anyone serving the whole samples folder (glass runtime --faaslets crds/samples).
      path: '../prototype/prototype.yaml',
      about: [
        "The original Glass prototype's module shape: _start, add(a, b: i64) -> i64 over",
        '"counter" through env.get_state/env.set_state, and WASI fd_write/proc_exit/random_get.',
        'add_then_exit ends with proc_exit(0) (commits); add_then_fail with proc_exit(code).',
        'npm start -- --faaslets crds/prototype (ADR 0121), then',
        'curl "localhost:8080/invoke/add?value=10"  # 10, then 20',
      ],
    },
  },
  {
    name: 'bomb',
    from: 'wat',
    source: 'fixtures/bomb.wat',
    abi: 'glass',
    exports: ['run'],
    sample: {
      path: 'fixtures/bomb.yaml',
      limits: { memory: '16Mi' },
      about: ['Misbehaves on purpose: run grows memory until the 16Mi limit refuses, then traps.'],
    },
  },
  {
    // Go deadlines and memory caps (tests read guests/build directly); no sample: 1.9 MB.
    name: 'misbehave-go',
    from: 'go',
    source: 'misbehave',
    abi: 'glass',
    exports: ['spin', 'bomb', 'ok'],
  },
  {
    name: 'bad-import',
    from: 'wat',
    source: 'fixtures/bad-import.wat',
    abi: 'glass',
    exports: ['run'],
    badImports: ['glass.launch_missiles'],
    sample: {
      path: 'fixtures/bad-import.yaml',
      about: ['Misbehaves on purpose: imports glass.launch_missiles, so it must be refused.'],
    },
  },
  {
    name: 'invalid',
    from: 'bytes',
    abi: 'glass',
    exports: [],
    sample: {
      path: 'fixtures/invalid.yaml',
      about: ['Misbehaves on purpose: the module bytes do not compile.'],
    },
  },
  {
    // Bulk instructions and host calls that cost by length; no sample (tests inline it).
    name: 'fill',
    from: 'wat',
    source: 'fixtures/fill.wat',
    abi: 'glass',
    exports: ['run', 'set_loop'],
  },
  {
    // A guest that calls itself through `call`; no sample (tests inline it as "recurse").
    name: 'recurse',
    from: 'wat',
    source: 'fixtures/recurse.wat',
    abi: 'glass',
    exports: ['run', 'burn'],
  },
  {
    // Grows a table by 10 million elements; no sample (tests inline it).
    name: 'tables',
    from: 'wat',
    source: 'fixtures/tables.wat',
    abi: 'glass',
    exports: ['grow'],
  },
  {
    // Stores as much as it is asked to, for the state quotas; no sample (tests inline it).
    name: 'hog',
    from: 'wat',
    source: 'fixtures/hog.wat',
    abi: 'glass',
    exports: ['big', 'spread'],
  },
  {
    // A WASI command writing 64 MiB to stdout; no sample (tests inline it).
    name: 'shout',
    from: 'wat',
    source: 'fixtures/shout.wat',
    abi: 'wasi-command',
    exports: ['_start'],
  },
  {
    // Logs 100 lines in each of 20 nested calls of itself; no sample (tests inline it).
    name: 'chatty',
    from: 'wat',
    source: 'fixtures/chatty.wat',
    abi: 'glass',
    exports: ['run', 'burst'],
  },
  {
    // For the benchmark "first call of a never-seen ~100 KB module"; no sample.
    name: 'big',
    from: 'generated',
    abi: 'glass',
    exports: ['run'],
  },
];
