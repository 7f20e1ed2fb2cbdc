from roofcalc.cli import main

main()
