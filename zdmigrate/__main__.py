from zdmigrate.cli import main

main()
