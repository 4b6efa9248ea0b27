from submitkit.cli.entry import main

main()
