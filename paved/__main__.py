from paved.cli import main

main()
