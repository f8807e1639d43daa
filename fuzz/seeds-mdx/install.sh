echo installing from a file
echo done > installed.txt
