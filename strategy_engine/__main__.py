from strategy_engine.cli import main

raise SystemExit(main())
