from submitkit.cli import main

main()
