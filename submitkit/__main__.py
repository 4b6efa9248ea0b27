from submitkit.cli.app import main

main()
