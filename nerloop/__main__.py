from nerloop.cli.app import main

main()
