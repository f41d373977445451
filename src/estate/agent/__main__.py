from estate.agent.main import main

main()
